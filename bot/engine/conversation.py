"""One turn of one conversation: the model the shared machine moves, and the turn's logic."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.engine import clarify
from bot.engine.actions import ActionContext, ActionRegistry
from bot.engine.choices import clarify_choices, render_choices
from bot.engine.hints import any_time, next_steps
from bot.engine.machine import CompiledFlows
from bot.engine.reply import Choice
from bot.flows.model import OTHERWISE, GlobalCommand, State
from bot.nlu.classify import IntentClassifier
from bot.nlu.codeish import looks_like_code
from bot.nlu.entities import LAST, PLACEHOLDERS, described_repo, find_numbers, find_repos
from bot.nlu.learned import OTHER
from bot.nlu.match import IntentMatch
from bot.nlu.results import named_as_one, on_screen, points_at_result, result_named
from bot.nlu.text import normalize
from bot.nlu.vocabulary import STOPWORDS
from bot.store.base import Session

if TYPE_CHECKING:
    from bot.engine.ports import TurnPorts

DEFAULT_MESSAGES: Mapping[str, str] = {
    "fallback": "Sorry, I didn't understand “{{ text | shorten(60) }}”.",
    "empty": "I got an empty message. Send “help” to see what I can do.",
    "media": (
        "I can only read text for now: photos, voice notes and files reach me empty. "
        "Please type what you are looking for."
    ),
    "too_long": (
        "That message is {{ length }} characters long; I read at most {{ limit }}. "
        "Please send something shorter."
    ),
    "error": "Sorry, something went wrong on my side. Please try again, or send “help”.",
    "no_back": "There is nothing to go back to.",
    "help": "Send “menu” for the main menu, “back” to undo a step, or “start over”.",
    "clarify": (
        "Did you mean *1.* {{ first }}, or *2.* search for “{{ text | shorten(60) }}”? "
        "Send *1* or *2*."
    ),
    "not_here": (
        "“{{ text | shorten(60) }}” reads as *{{ label }}*, which doesn't apply here. To "
        'search for it, send it in quotes: "{{ text | shorten(60) }}".'
    ),
    "also_code": (
        "To search the code for “{{ text | shorten(60) }}” instead, send "
        "*find {{ text | shorten(60) }}*."
    ),
    "inactive": "Welcome back! It has been a while, so we're starting again.",
    "flows_changed": "The conversation was just updated, so we are starting this part again.",
}


def message(compiled: CompiledFlows, name: str, context: Mapping[str, Any]) -> str:
    """The flows' message ``name`` (flows/intents.yaml `messages:`), else the default."""
    source = compiled.flows.messages.get(name) or DEFAULT_MESSAGES[name]
    return compiled.templates.render(source, dict(context))


def failure_text(compiled: CompiledFlows) -> str:
    """What a failed turn says where no turn is left to say it (the store failed, the turn was
    lost): the same `error` message a turn rolled back in the engine says."""
    try:
        return message(compiled, "error", {})
    except Exception:  # the flows' own text needs a turn's context: the default needs none
        return compiled.templates.render(DEFAULT_MESSAGES["error"], {})


_EXPRESSION = re.compile(r"^\{\{\s*(.+?)\s*\}\}$", re.DOTALL)
# "tldr 5", "click 5": as short as a message naming a result by its number with a word in
# no code can be, to be read as one
SHORT_REFERENCE_WORDS = 3
# How likely the classifier must find a command, for text in which no word is in the code, to
# ask whether the command was meant rather than search for it
LEANING = 0.5


class Conversation:
    """The machine's model for one turn: it carries `state`, runs actions on entering a state and
    collects the replies."""

    def __init__(
        self,
        *,
        compiled: CompiledFlows,
        session: Session,
        text: str,
        ports: TurnPorts,
        actions: ActionRegistry,
        classifier: IntentClassifier | None = None,
        clock: Callable[[], float] = time.time,
        profile_name: str = "",
        repos: tuple[str, ...] = (),
    ) -> None:
        self.compiled = compiled
        self.session = session
        self.text = text
        self.ports = ports
        self.actions = actions
        self.classifier = classifier
        self.clock = clock
        self.profile_name = profile_name
        self.repos = repos  # what this sender may read: menus, lists and actions see only these
        self.state = session.state
        self.replies: list[str] = []
        self.trace: list[str] = []
        self.meta: dict[str, Any] = {}
        self.entities: Mapping[str, Any] = {}
        self.intent: str | None = None
        self.score: float | None = None
        self.entered_at: float | None = None  # when the last state was entered this turn
        self.asked: tuple[Choice, ...] | None = None  # the clarifying question's answers
        self.actions_run: list[str] = []  # recorded with the turn, for the dashboard
        self.outcome = "ok"  # or not_understood | not_here | clarify (bot/analytics/model.py)

    # -- what the machine calls -------------------------------------------------------------

    def template_context(self) -> dict[str, Any]:
        slots = self.session.slots
        return {
            **slots,
            "slots": slots,
            "text": self.text,
            "entities": self.entities,
            "intent": self.intent,
            "user": {"id": self.session.user_id, "name": self.profile_name},
            "repos": self.ports.repo_listing(self.repos),
        }

    def default_repo(self) -> None:
        """With one repository there is nothing to choose: it is selected without asking."""
        names = self.repos
        if len(names) == 1 and not self.session.slots.get("repo"):
            self.session.slots["repo"] = names[0]

    async def entered(self, state: State) -> None:
        self.state = state.id
        self.trace.append(f"enter {state.id}")
        self.default_repo()
        for call in state.actions:
            spec = self.actions.get(call.name)
            if spec is None:  # validated at load time; a hot reload cannot get here either
                raise LookupError(f"unknown action '{call.name}' at {call.source}")
            args = self._render_args(call.args) if spec.render_args else dict(call.args)
            ctx = ActionContext(
                session=self.session,
                text=self.text,
                args=args,
                ports=self.ports,
                entities=self.entities,
                repos=self.repos,
            )
            started = time.perf_counter()
            self.actions_run.append(call.name)
            await spec.fn(ctx)
            self.trace.append(f"action {call.name} {(time.perf_counter() - started) * 1000:.1f}ms")
            self.replies.extend(ctx.replies)
            self.meta.update(ctx.meta)
        self.say_state(state)
        self.entered_at = self.clock()  # a state's timeout counts from here (see Engine._turn)

    # -- the turn ---------------------------------------------------------------------------

    def say_state(self, state: State) -> None:
        context = self.template_context()
        for source in state.say:
            self.say(self.compiled.templates.render(source, context))

    def choices(self) -> tuple[Choice, ...]:
        """What the reply offers to tap: the question's answers when one was asked, else the
        `choices:` of the state the conversation now waits in."""
        if self.asked is not None:
            return self.asked
        state = self.compiled.state(self.state)
        if state is None or not state.choices:
            return ()
        return render_choices(state.choices, self.template_context(), self.compiled.templates)

    def say(self, text: str) -> None:
        if text.strip():
            self.replies.append(text.strip())

    def message(self, name: str, **extra: Any) -> str:
        return message(self.compiled, name, {**self.template_context(), **extra})

    async def start(self, state_id: str | None = None, *, clear_back: bool = True) -> None:
        """Enter ``state_id`` (default: the entry state) directly, as a jump."""
        target = self.compiled.state(state_id or self.compiled.flows.start)
        if target is None:
            raise LookupError(f"entry state '{state_id}' does not exist")
        if clear_back:
            self.session.back.clear()
        self.state = target.id
        await self.entered(target)
        await self.compiled.settle(self)

    async def respond(self, match: IntentMatch) -> None:
        """Handle the user's text in the current state."""
        state = self.compiled.state(self.state)
        assert state is not None
        self.default_repo()
        match = self._answer_to_question(match, state)
        if match.intent is None and match.how not in ("code", "query", "clarified"):
            match = await self._only_a_repository(match, state)
        if match.intent is None and match.how not in ("query", "clarified"):
            match = await self._about_a_result(match, state)
        match = self._with_described_repo(match)
        takes_text = self.compiled.has_trigger(state, OTHERWISE)
        if takes_text and match.intent is None and match.how not in ("code", "query", "clarified"):
            leaning = await self._leaning_to_a_command(match, state)
            if leaning is not None:
                self._ask(leaning, state)  # "cancelar búsqueda": no word of it is in the code
                return
        also_code = ""
        if takes_text and match.intent and match.how != "clarified":
            if match.sure and self._names_a_definition(match):  # "reset": or Cycler.reset?
                if not self._list_on_screen(state):
                    self._ask(match, state)  # asked for a search, the user typed a name
                    return
                # Among results or choices, a command: taken, and the search offered.
                also_code = self.text.strip()
            if match.how == "learned" and (
                self._defines_any(match.unknown_words) or self._pleasantry_and_more(match)
            ):
                # Read by the classifier, and a word it did not know from the intent's
                # examples is something the code defines, or a greeting or thanks comes with
                # a sentence of other words ("buongiorno, come funziona il caricamento?"):
                # a query.
                self.trace.append(f"'{self.text}' says more: not taken as {match.intent}")
                match = IntentMatch(None, match.score, match.entities, how="code")
            elif match.how == "partial" and await self._names_code(match.unknown_words):
                # "explain how autoescape works": the other words name code, so a query.
                self.trace.append(f"'{self.text}' names code: not taken as {match.intent}")
                match = IntentMatch(None, match.score, match.entities, how="code")
            elif (
                match.how not in ("partial", "learned", "agreed", "reference", "named")
                and not match.sure
                and not self._points_at_shown(match)
                and not self._names_a_repository_to_use(match, state)
                and await self._occurs_in_code(match)
            ):
                if match.how == "edit" and len(self.text.split()) > 1:
                    self._ask(match, state)  # "shwo heap": a command misspelt, or code?
                    return
                # Words of no command example, found in the code ("heap", "what calls it?"):
                # a query that looks like a command, searched as typed.
                self.trace.append(f"'{self.text}' occurs in the code: not taken as {match.intent}")
                match = IntentMatch(None, match.score, match.entities, how="code")
        self.entities = self.compiled.expose(match.entities, self.session.slots)
        intent = match.intent
        if match.ambiguous and self.classifier is not None:
            intent = await self._disambiguate(match) or intent
        if self._about_the_bot(intent, match, state):
            intent = "help"  # "what is this?", "how does this work?" with no result to mean
        self.intent, self.score = intent, match.score if intent else None
        self.trace.append(f"intent {intent} score {match.score:.0f} ({match.how})")
        command = self.compiled.flows.globals.get(intent or "")
        if command is not None:
            await self._run_global(command, state)
            if also_code:
                self.say(self.message("also_code", text=also_code))
            return
        if intent and not self.compiled.has_trigger(state, intent):
            label = self._label(intent)
            if label and match.sure:  # a command that means nothing here is said so
                self.outcome = "not_here"
                self.say(self.message("not_here", label=label))
                self.say(self._next_line(state))
                return
            intent = None  # a likeness to another state's command: any other text
            self.intent, self.score = None, None
        # The intent's own transitions first; when it has none here, or none whose `when:`
        # holds, the text counts as "any other text".
        triggers = [intent] if intent and self.compiled.has_trigger(state, intent) else []
        if takes_text:
            triggers.append(OTHERWISE)
        # Slot values are replaced, never changed in place (see ActionContext), so a shallow
        # copy is a faithful picture of this step.
        before = {"state": state.id, "slots": dict(self.session.slots)}
        for trigger in triggers:
            if await self.compiled.fire(self, trigger):
                self._push_back(before)
                self.trace.append(f"transition {state.id} -> {self.state} on {trigger}")
                await self.compiled.settle(self)
                return
        self.outcome = "not_understood"
        self.say(self.message("fallback"))
        self.say_help(state)

    def _answer_to_question(self, match: IntentMatch, state: State) -> IntentMatch:
        """The answer to last turn's clarifying question: the original text, taken as chosen."""
        asked = clarify.pending(self.session.slots, state.id)
        self.session.slots.pop(clarify.SLOT, None)
        if asked is None:
            return match
        resolved = clarify.answer(asked, self.text)
        if resolved is None:
            return match
        self.text, chosen = resolved
        self.trace.append(f"clarified: {chosen.intent or 'search'}")
        return chosen

    def _ask(self, match: IntentMatch, state: State) -> None:
        assert match.intent is not None
        self.trace.append(f"asked: {match.intent} or search")
        self.session.slots[clarify.SLOT] = clarify.question(match, self.text, state.id)
        self.intent, self.score = "clarify", match.score
        self.outcome = "clarify"
        first = self._label(match.intent) or match.intent
        self.say(self.message("clarify", first=first))
        self.asked = clarify_choices(first, self.text)

    def _about_the_bot(self, intent: str | None, match: IntentMatch, state: State) -> bool:
        """A question about "this" that can mean no result (nothing was opened or explained,
        and the state has no result to act on) is about the bot itself: help, when the flows
        have it."""
        declared = self.compiled.flows.intents.get(intent or "")
        return (
            declared is not None
            and declared.about == "result"
            and bool(match.entities.get("ref"))
            and match.entities.get("number") is None
            and not isinstance(self.session.slots.get("opened"), int)
            and not self.compiled.has_trigger(state, declared.name)
            and "help" in self.compiled.flows.globals
        )

    def _label(self, intent: str) -> str | None:
        declared = self.compiled.flows.intents.get(intent)
        return declared.label if declared is not None else None

    def _names_a_definition(self, match: IntentMatch) -> bool:
        """A one-word global command that leaves where the user is ("reset", "cancel") and is
        also the name of something the selected repository defines: both readings are likely,
        so the user is asked. The state's own commands ("next" among results) and
        pleasantries ("k", "thanks") lose nothing when taken as typed, so they are."""
        repo = self.session.slots.get("repo")
        word = self.text.strip()
        if not isinstance(repo, str) or repo not in self.repos or " " in word or len(word) < 3:
            return False
        command = self.compiled.flows.globals.get(match.intent or "")
        if command is None or command.builtin == "hint":
            return False
        return word.isidentifier() and self.ports.search.defines(word, repo)

    async def _about_a_result(self, match: IntentMatch, state: State) -> IntentMatch:
        """A short message that names a result on screen by its number, as a reference
        ("why is 2 there", "give me the gist of 3", "bring up number 4", "tldr 5", where
        "tldr" is in no code): a command about that result (the one the classifier finds
        likeliest), not a search for those words."""
        shown = on_screen(self.session.slots)
        number = match.entities.get("number")
        text = self.text
        if number == LAST and shown:
            number = shown[-1][0]
        if number is None:
            # "why is the Template one cited": a result named by what it shows
            named = result_named(self.text, shown)
            if named is None or not named_as_one(*named):
                return match
            text, number = named
        elif looks_like_code(self.text):
            return match
        if not isinstance(number, int) or number not in {n for n, _hit in shown}:
            return match
        tokens = normalize(text).split()
        if not points_at_result(tokens, number) and not await self._number_beside_prose(tokens):
            return match
        about = [
            name for name in self.compiled.result_intents if self.compiled.has_trigger(state, name)
        ]
        found = self.compiled.matcher(state.id).likeliest(text, about) if about else None
        if found is None:
            return match
        chosen = found[0]
        self.trace.append(f"'{self.text}' names result {number}: {chosen}")
        return IntentMatch(chosen, 70.0, {**match.entities, "number": number}, how="reference")

    async def _leaning_to_a_command(self, match: IntentMatch, state: State) -> IntentMatch | None:
        """Text about to be searched that the classifier reads as a command, more likely than
        not, while none of its words is in the repository's code: a search would find nothing,
        so the user is asked which was meant ("cancelar búsqueda", "suche starten")."""
        repo = self.session.slots.get("repo")
        if not isinstance(repo, str) or repo not in self.repos or looks_like_code(self.text):
            return None
        found = self.compiled.matcher(state.id).reading(self.text, repos=self.repos)
        if found is None or found[0] == OTHER or found[1] < LEANING:
            return None
        intent = found[0]
        here = self.compiled.has_trigger(state, intent)
        if intent not in self.compiled.flows.globals and not here:
            return None
        if any(t.trigger == intent and t.target == state.id for t in state.on):
            return None  # "a new search?" asked at the search prompt would lead nowhere
        words = [
            w
            for w in normalize(self.text).split()
            if len(w) > 2 and w not in STOPWORDS and w not in PLACEHOLDERS and not w.isdigit()
        ]
        for word in words:
            if await self.ports.search.occurs(word, repo):
                return None
        self.trace.append(f"'{self.text}' leans to {intent}, and no word of it is in the code")
        return IntentMatch(intent, 100.0 * found[1], match.entities, how="leaning")

    def _with_described_repo(self, match: IntentMatch) -> IntentMatch:
        """The command that takes a repository, with none named: the one the text describes
        ("switch to the asyncio one", "can we move to aio"), when it describes one."""
        if match.intent is None or match.intent != self.compiled.repo_command:
            return match
        if match.entities.get("repo"):
            return match
        listing = self.ports.repo_listing(self.repos)
        descriptions = {str(r["name"]): str(r.get("description") or "") for r in listing}
        common = STOPWORDS | self.compiled.matcher(self.state).words
        repo = described_repo(normalize(self.text).split(), descriptions, common=common)
        if repo is None:
            return match
        self.trace.append(f"'{self.text}' describes {repo}")
        # Its other words describe the repository: none of them is a search ("aio http")
        return replace(match, entities={**match.entities, "repo": repo}, how="named")

    def _names_a_repository_to_use(self, match: IntentMatch, state: State) -> bool:
        """The command that takes a repository, near an example of it, with a repository
        named (also by another name: "i wanted the http one"), that the classifier reads as
        that command rather than other text: its other words are not a search, even where
        the code has them. "http client timeout" reads as other text, and is searched."""
        command = self.compiled.repo_command
        return (
            command is not None
            and match.intent == command
            and bool(match.entities.get("repo"))
            and self._reads_as(command, state)
        )

    def _reads_as(self, intent: str, state: State) -> bool:
        """The classifier finds ``intent`` likelier than other text for the message."""
        aliases = {alias: r.name for r in self.ports.settings.repos for alias in r.aliases}
        found = self.compiled.matcher(state.id).likeliest(
            self.text, (intent,), other=True, repos=self.repos, aliases=aliases
        )
        return found is not None and found[0] == intent

    def _points_at_shown(self, match: IntentMatch) -> bool:
        """A command about a result that names one on screen by its number, as a reference
        ("open up 1", "4?? what is it"): its other words are not a search, even where the
        code has them. A result named by its symbol is pointed at when said as "the X one"
        ("the Template one's code"), not otherwise ("and for select_autoescape": the name may
        as well be a question about that code)."""
        number = match.entities.get("number")
        shown = on_screen(self.session.slots)
        if match.intent not in self.compiled.result_intents or not isinstance(number, int):
            return False
        if number not in {n for n, _hit in shown}:
            return False
        tokens = normalize(self.text).split()
        if number in find_numbers(tokens).numbers:
            return points_at_result(tokens, number)
        named = result_named(self.text, shown)
        return named is not None and named[1] == number and named_as_one(*named)

    async def _number_beside_prose(self, tokens: list[str]) -> bool:
        """A short message whose words besides its number are not all in the repository's
        code ("tldr 5", "click 5"): no search for them could find it, unlike "python 3"."""
        repo = self.session.slots.get("repo")
        rest = [t for t in tokens if not t.lstrip("#").isdigit() and t not in PLACEHOLDERS]
        if len(tokens) > SHORT_REFERENCE_WORDS or not rest:
            return False
        if not isinstance(repo, str) or repo not in self.repos:
            return False
        return not await self.ports.search.occurs(" ".join(rest), repo)

    async def _only_a_repository(self, match: IntentMatch, state: State) -> IntentMatch:
        """A repository named by its name, with a few words none of which is in its code
        ("aiohttp mein dekho", "jetzt aiohttp"), or that the classifier reads as the command
        rather than other text ("go back to the jinja2 repo", where "back" is in the code):
        the command that takes a repository (switch_repo), not a search for those words
        there."""
        repo = match.entities.get("repo")
        if not match.entities.get("repo_by_name") or repo not in self.repos:
            return match
        command = self.compiled.repo_command
        if command is None:
            return match
        tokens = find_repos(normalize(self.text).split(), [str(repo)]).tokens
        rest = [t for t in tokens if t not in STOPWORDS and t not in PLACEHOLDERS]
        if len(rest) > 3 or looks_like_code(self.text):
            return match
        for word in rest:
            if len(word) > 2 and await self.ports.search.occurs(word, str(repo)):
                # "aiohttp websocket": a word of its code, so a search there, unless the
                # message reads as the command
                if not self._reads_as(command, state):
                    return match
                break
        self.trace.append(f"'{self.text}' names only a repository")
        return IntentMatch(command, 80.0, match.entities, how="named")

    def _list_on_screen(self, state: State) -> bool:
        """The state offers numbered things to pick (results, repositories, menu options):
        what is typed there is first of all an answer to them, not a search."""
        return any(self.compiled.has_trigger(state, n) for n in self.compiled.numbered_intents)

    def _pleasantry_and_more(self, match: IntentMatch) -> bool:
        """A greeting, thanks or okay (a global that only answers) said with more than two
        words no example of it has."""
        command = self.compiled.flows.globals.get(match.intent or "")
        return command is not None and command.builtin == "hint" and len(match.unknown_words) > 2

    def _defines_any(self, words: tuple[str, ...]) -> bool:
        """Any of ``words`` is something the selected repository (before one is chosen, any
        of the sender's) defines."""
        repo = self.session.slots.get("repo")
        names = (repo,) if isinstance(repo, str) and repo in self.repos else tuple(self.repos)
        search = self.ports.search
        return any(
            search.defines(w, name)
            for name in names
            for w in words
            if w.isidentifier() and len(w) > 2
        )

    async def _names_code(self, words: tuple[str, ...]) -> bool:
        """A message that is partly a command's words names code when any of its other words is
        something the repository defines ("reset cookies in the jar"), or when two or more
        words besides the command's all occur in it ("explain how autoescaping works").
        Before a repository is chosen, any of the sender's repositories counts."""
        repo = self.session.slots.get("repo")
        chosen = isinstance(repo, str) and repo in self.repos
        search = self.ports.search
        own = [w for w in words if not w.startswith("{")]
        for name in (repo,) if chosen else self.repos:
            assert isinstance(name, str)
            if any(search.defines(w, name) for w in words if w.isidentifier() and len(w) > 2):
                return True
            if len(own) >= 2 and await search.occurs(" ".join(own), name):
                return True
        return False

    async def _occurs_in_code(self, match: IntentMatch) -> bool:
        """Where any text is taken (a search, a name), a near miss is not read as a command
        when its own words (those of no command example) occur in the selected repository's
        code: "heap" may be a search, while a misspelt "hepl" stays help."""
        repo = self.session.slots.get("repo")
        if not isinstance(repo, str) or repo not in self.repos:
            return False
        # A typo fixed word by word is judged by the words fixed; a whole-text likeness
        # ("return" for "retour") by every word typed.
        words = match.unknown_words if match.how == "edit" else tuple(self.text.split())
        own = [w for w in words if not w.startswith("{")]
        return bool(own) and await self.ports.search.occurs(" ".join(own), repo)

    def say_help(self, state: State) -> None:
        """The state's own words (`help:`), what can be typed here, and the global commands;
        all but the first derived from the flow."""
        if state.help:
            self.say(self.compiled.templates.render(state.help, self.template_context()))
        self.say(next_steps(self.compiled.flows, state))
        self.say(self._any_time())

    def _next_line(self, state: State) -> str:
        """One line saying what can be typed in ``state``."""
        derived = next_steps(self.compiled.flows, state)
        if derived:
            return derived
        if state.help:
            return self.compiled.templates.render(state.help, self.template_context())
        return self._any_time()

    def _any_time(self) -> str:
        if "help" in self.compiled.flows.messages:
            return self.message("help")
        return any_time(self.compiled.flows) or self.message("help")

    async def _disambiguate(self, match: IntentMatch) -> str | None:
        assert self.classifier is not None and match.intent is not None
        names = [match.intent, *(name for name, _score in match.alternatives)]
        intents = self.compiled.flows.intents
        candidates = [(n, intents[n].examples[0] if n in intents else n) for n in names]
        picked = await self.classifier.classify(self.text, candidates, spend=self.session.context)
        self.trace.append(f"classifier picked {picked}")
        return picked if picked in names else None

    async def _run_global(self, command: GlobalCommand, state: State) -> None:
        self.trace.append(f"global {command.intent}")
        if command.say:
            self.say(self.compiled.templates.render(command.say, self.template_context()))
        if command.builtin == "help":
            self.say_help(state)
            return
        if command.builtin == "hint":
            self.say(self._next_line(state))
            return
        if command.builtin == "repeat":
            self.say_state(state)
            return
        if command.builtin == "back":
            await self._go_back()
            return
        if command.reset:
            self.reset_slots(keep=command.keep)
        if command.target:
            if not command.reset:  # "use aiohttp" from the list: *back* returns to the list
                self._push_back({"state": state.id, "slots": dict(self.session.slots)})
            await self.start(command.target, clear_back=command.reset)

    def reset_slots(self, *, keep: tuple[str, ...] = ()) -> None:
        kept = {k: v for k, v in self.session.slots.items() if k in keep}
        self.session.slots.clear()
        self.session.slots.update(kept)

    async def _go_back(self) -> None:
        back = self.session.back
        while back:
            entry = back.pop()
            previous = self.compiled.state(str(entry.get("state")))
            if previous is not None:
                self.session.slots.clear()
                self.session.slots.update(entry.get("slots") or {})
                self.state = previous.id
                self.trace.append(f"back to {previous.id}")
                said = len(self.replies)
                self.say_state(previous)
                if len(self.replies) == said:  # its text came from an action: show the way on
                    self.say_help(previous)
                return
        self.say(self.message("no_back"))
        current = self.compiled.state(self.state)
        if current is not None:
            self.say(self._next_line(current))

    def _push_back(self, entry: dict[str, Any]) -> None:
        back = self.session.back
        back.append(entry)
        del back[: -self.ports.settings.sessions.back_depth]

    def _render_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        context = self.template_context()
        return {key: self._render_value(value, context) for key, value in args.items()}

    def _render_value(self, value: Any, context: dict[str, Any]) -> Any:
        if isinstance(value, str):
            whole = _EXPRESSION.match(value)
            if whole and "{{" not in whole.group(1):
                return self.compiled.templates.expression(whole.group(1))(context)
            return self.compiled.templates.render(value, context) if "{" in value else value
        if isinstance(value, list):
            return [self._render_value(v, context) for v in value]
        if isinstance(value, dict):
            return {k: self._render_value(v, context) for k, v in value.items()}
        return value
