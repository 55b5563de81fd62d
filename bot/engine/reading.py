"""How one message is read where it arrives: against the results on screen, the repositories
the sender may read, and the code they hold.

The matcher (bot/nlu) reads the words. This decides what they mean here: a short message
pointing at a result on screen is a command about it ("tldr 5", "the Template one's code"), a
repository named or described with a few words is where to go ("jetzt aiohttp", "the asyncio
one"), a near miss whose words are in the code is a search ("heap"), and text that could be
either gets a question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.engine.machine import CompiledFlows
from bot.flows.model import OTHERWISE, State
from bot.nlu.aboutbot import asks_about_the_bot
from bot.nlu.codeish import looks_like_code
from bot.nlu.entities import (
    NUMBER,
    PLACEHOLDERS,
    REPO,
    described_repo,
    find_numbers,
    find_repos,
    place_in_list,
)
from bot.nlu.learned import OTHER
from bot.nlu.match import IntentMatch
from bot.nlu.pointing import in_words_of, last_clause, refers
from bot.nlu.questions import QUESTION_WORDS, asks, is_question
from bot.nlu.results import (
    named_as_one,
    on_screen,
    page_asked,
    points_at_result,
    result_named,
)
from bot.nlu.text import normalize
from bot.nlu.vocabulary import STOPWORDS

if TYPE_CHECKING:
    from bot.engine.ports import TurnPorts

# "tldr 5", "click 5": as short as a message naming a result by its number with a word in
# no code can be, to be read as one
SHORT_REFERENCE_WORDS = 3
# How likely the classifier must find a command, for text in which no word is in the code, to
# ask whether the command was meant rather than search for it
LEANING = 0.5
# How likely the classifier must find a command, likeliest of all, for a search of the text to
# offer it after the results (a model, where configured, is asked from here on)
OFFERING = 0.25
# How likely the classifier must find a command misspelt in a sentence to take it unasked
SURE_READING = 0.95
# Words of English grammar that code also defines (jinja2's `Not`, `If`, `For` nodes): in a
# sentence ("ask a question, not search") they name no code.
GRAMMAR_WORDS = frozenset(
    ["not", "and", "or", "if", "else", "for", "with", "while", "as", "from", "but"]
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a message means here: ``match`` as settled, or a question to ask first."""

    match: IntentMatch
    ask: IntentMatch | None = None  # ask whether this command was meant, or a search
    also_code: str = ""  # taken as the command; the reply says how to search this text instead
    # Searched as text, though the classifier leans to this command: a model, where one is
    # configured, may say it was meant; else the reply offers it after the search
    maybe: IntentMatch | None = None


@dataclass(slots=True)
class Reading:
    """One message (``text``) in ``state``, for a sender who may read ``repos``."""

    compiled: CompiledFlows
    state: State
    text: str
    slots: Mapping[str, Any]
    repos: tuple[str, ...]
    ports: TurnPorts
    trace: list[str]
    aliases: Mapping[str, str] = field(default_factory=dict)  # other names: alias -> repo
    # The results the user can see, with their numbers: read once, asked of several times
    shown: list[tuple[int, Mapping[str, Any]]] = field(init=False)
    # The classifier's reading of the text among this state's intents: read once, when first asked
    _read: list[tuple[str, float] | None] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.shown = on_screen(self.slots)

    def _reading(self) -> tuple[str, float] | None:
        """The classifier's reading of the message among this state's intents and other text,
        and how likely (see IntentMatcher.reading); None when it knows none of them."""
        if not self._read:
            matcher = self.compiled.matcher(self.state.id)
            self._read.append(matcher.reading(self.text, repos=self.repos))
        return self._read[0]

    async def verdict(self, match: IntentMatch) -> Verdict:
        """What the matcher's ``match`` means here."""
        match = self._command_beside_pleasantry(match)
        match = self._result_command_last(match)
        match = self._command_about_this(match)
        if self._bot_question_not_asked(match):
            # "first filter", "why did you cite 4": words of a question about the bot, but
            # asked of nothing, or about a result, a repository or the code: read on as text
            self.trace.append(f"'{self.text}' is not about the bot: not {match.intent}")
            match = IntentMatch(None, match.score, match.entities)
        if self._next_page_asked():
            self.trace.append(f"'{self.text}' asks for the next page by its numbers")
            return Verdict(IntentMatch(self.compiled.page_intent, 90.0, match.entities, how="page"))
        match = self._repository_not_result(match)
        if match.intent is None and match.how not in ("code", "query", "clarified"):
            match = await self._only_a_repository(match)
        if match.intent is None and match.how not in ("query", "clarified"):
            match = await self._about_a_result(match)
        elif self._number_it_takes_not(match):
            # "whats up with #5" read as help, which takes no number: about result 5
            about = await self._about_a_result(IntentMatch(None, match.score, match.entities))
            match = about if about.intent is not None else match
        match = self._with_described_repo(match)
        if self._asks_about_a_repository(match):
            # "how does codechat search with a regex": a question about it, asked there
            self.trace.append(f"'{self.text}' asks about {match.entities.get('repo')}")
            match = IntentMatch(None, match.score, match.entities, how="code")
        takes_text = self.compiled.has_trigger(self.state, OTHERWISE)
        if takes_text:
            match = self._asked_of_the_bot(match)
        if takes_text and match.intent is None and match.how not in ("code", "query", "clarified"):
            leaning = await self._leaning_to_a_command(match)
            if leaning is not None:  # "cancelar búsqueda": no word of it is in the code
                return Verdict(match, ask=leaning)
        if not takes_text or match.how == "clarified":
            return Verdict(match)
        if not match.intent:
            return self._searched(Verdict(match))
        also_code = ""
        if match.sure and self._names_a_definition(match):  # "reset": or Cycler.reset?
            if not self._list_on_screen():
                return Verdict(match, ask=match)  # asked for a search, the user typed a name
            # Among results or choices, a command: taken, and the search offered.
            also_code = self.text.strip()
        if match.how == "learned" and (
            self._defines_any(match.unknown_words) or self._pleasantry_and_more(match)
        ):
            # Read by the classifier, and a word it did not know from the intent's examples is
            # something the code defines, or a greeting or thanks comes with a sentence of
            # other words ("buongiorno, come funziona il caricamento?"): a query.
            self.trace.append(f"'{self.text}' says more: not taken as {match.intent}")
            match = IntentMatch(None, match.score, match.entities, how="code")
        elif match.how == "partial" and await self._names_code(match.unknown_words):
            # "explain how autoescape works": the other words name code, so a query.
            self.trace.append(f"'{self.text}' names code: not taken as {match.intent}")
            match = IntentMatch(None, match.score, match.entities, how="code")
        elif (
            match.how not in ("partial", "learned", "agreed", "reference", "named", "about the bot")
            and not match.sure
            and not self._points_at_shown(match)
            and not self._names_a_repository_to_use(match)
            and await self._occurs_in_code(match)
        ):
            if match.how == "edit" and len(self.text.split()) > 1:
                if self._surely_reads_as(str(match.intent)):
                    return Verdict(match)  # "could you show me how this thing works": help
                if not self._surely_reads_as(OTHER):
                    return Verdict(match, ask=match)  # "shwo heap": a command misspelt, or code?
                # "does it cache the result?": a sentence about the code, surely
            # Words of no command example, found in the code ("heap", "what calls it?"): a
            # query that looks like a command, searched as typed.
            self.trace.append(f"'{self.text}' occurs in the code: not taken as {match.intent}")
            match = IntentMatch(None, match.score, match.entities, how="code")
        return self._searched(Verdict(self._asked_of_the_bot(match), also_code=also_code))

    def _asked_of_the_bot(self, match: IntentMatch) -> IntentMatch:
        """Text about to be searched that asks about using the bot in the bot's own words
        ("what does option 2 mean?", "how do I see more lines of this file?", see
        bot/nlu/aboutbot.py), and that the classifier reads as help or a question about the
        bot more likely than not: that command, though some of its words are in the code."""
        if match.how in ("query", "clarified", "about the bot") or looks_like_code(self.text):
            return match
        if match.entities.get("repo_by_name"):
            return match  # "what is codechat": a repository, by its name
        if match.intent is not None and (
            match.intent != self.compiled.repo_command or not match.entities.get("repo")
        ):
            return match  # but the bot itself, by another name ("what is this bot"), is asked of
        number = match.entities.get("number")
        if number is not None and number in {n for n, _hit in self.shown}:
            return match  # "what does 4 mean": about result 4
        found = self._reading()
        if found is None or found[0] not in self.compiled.about_the_bot or found[1] < LEANING:
            return match
        if not asks_about_the_bot(self.text, self.compiled.bot_words):
            return match
        self.trace.append(f"'{self.text}' asks about the bot in its words: {found[0]}")
        return IntentMatch(found[0], 100.0 * found[1], match.entities, how="about the bot")

    def _searched(self, verdict: Verdict) -> Verdict:
        """``verdict``, with the command the classifier leans to when it is a search: a model,
        where one is configured, says whether it was meant; else the reply offers it."""
        match = verdict.match
        if match.intent is not None or match.how in ("clarified", "query"):
            return verdict  # a command, an answer, or a search said as one ("search for X")
        return replace(verdict, maybe=self._likely_command(match, OFFERING))

    def _result_command_last(self, match: IntentMatch) -> IntentMatch:
        """A question, then a short command about a result ("why is it importing Environment
        as Environment? explain pls", "where is this used? open 3"): the command, the question
        being what it is about."""
        if match.how in ("exact", "words"):
            return match
        last = last_clause(self.text, longest=SHORT_REFERENCE_WORDS)
        if last is None:
            return match
        matcher = self.compiled.matcher(self.state.id)
        found = matcher.match(last, repos=self.repos, aliases=self.aliases)
        if found.intent not in self.compiled.result_intents or not found.sure:
            return match
        if not self.compiled.has_trigger(self.state, str(found.intent)):
            return match
        if "number" not in found.entities and not self._about_the_one_opened():
            return match  # "what is that Bucket __init__ thing, explain it": which one, read on
        self.trace.append(f"'{self.text}' ends with {found.intent}")
        return found

    def _repository_not_result(self, match: IntentMatch) -> IntentMatch:
        """A command about a result, read from a message that names a repository and no
        result ("take me to the http one" near "take me to {n}"): the command that takes a
        repository, when the classifier reads the message so."""
        entities = match.entities
        if match.intent not in self.compiled.result_intents or match.how == "exact":
            return match
        if "number" in entities or entities.get("ref") or not entities.get("repo"):
            return match
        command = self.compiled.repo_command
        if command is None or not self._reads_as(command):
            return match
        self.trace.append(f"'{self.text}' names a repository, not a result")
        return IntentMatch(command, 80.0, entities, how="named")

    def _number_it_takes_not(self, match: IntentMatch) -> bool:
        """A command read from words no example has as written, or that as many others have,
        said with a number, while the command takes none."""
        if match.intent is None or match.sure or match.how in ("exact", "clarified"):
            return False
        if "number" not in match.entities:
            return False
        if match.entities["number"] == 1 and "one" in normalize(self.text).split():
            return False  # "how do i open one?": any one, not the first
        if match.intent not in self.compiled.numbered_intents | {self.compiled.page_intent}:
            return True  # "more on 5" read as ask ("una pregunta" gives ask a number)
        return not self.compiled.matcher(self.state.id).takes(match.intent, NUMBER)

    def _about_the_one_opened(self) -> bool:
        """A result is open, and the message says "it" or "this", or names no other result."""
        if not self.slots.get("opened"):
            return False
        if refers(normalize(self.text).split()):
            return True
        return result_named(self.text, self.shown) is None

    def _bot_question_not_asked(self, match: IntentMatch) -> bool:
        """An answer to a question about the bot (`builtin: answer`), read from a message that
        is not one of its examples, and that asks nothing ("first filter" is a search, "can i
        filter?" a question) or names a repository, a result or "this" ("why did you cite 4",
        "how does codechat search with a regex", "so where is that used?"): about the code."""
        command = self.compiled.flows.globals.get(match.intent or "")
        if command is None or command.builtin != "answer" or match.how == "exact":
            return False
        if match.entities.get("repo") or "number" in match.entities:
            return True
        if match.entities.get("ref") and self.slots.get("opened"):
            return True
        return not is_question(self.text, normalize(self.text).split())

    def _names_a_definition(self, match: IntentMatch) -> bool:
        """A one-word global command that leaves where the user is ("reset", "cancel") and is
        also the name of something the selected repository defines: both readings are likely,
        so the user is asked. The state's own commands ("next" among results) and
        pleasantries ("k", "thanks") lose nothing when taken as typed, so they are."""
        repo = self.slots.get("repo")
        word = self.text.strip()
        if not isinstance(repo, str) or repo not in self.repos or " " in word or len(word) < 3:
            return False
        command = self.compiled.flows.globals.get(match.intent or "")
        if command is None or command.builtin == "hint":
            return False
        return word.isidentifier() and self.ports.search.defines(word, repo)

    async def _about_a_result(self, match: IntentMatch) -> IntentMatch:
        """A short message that names a result on screen by its number, as a reference
        ("why is 2 there", "give me the gist of 3", "bring up number 4", "tldr 5", where
        "tldr" is in no code): a command about that result (the one the classifier finds
        likeliest), not a search for those words."""
        shown = self.shown
        number = match.entities.get("number")
        text = self.text
        place = place_in_list(number, len(shown))
        if place is not None:
            number = shown[place - 1][0]
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
            name
            for name in self.compiled.result_intents
            if self.compiled.has_trigger(self.state, name)
        ]
        found = self.compiled.matcher(self.state.id).likeliest(text, about) if about else None
        if found is None:
            return match
        chosen = found[0]
        self.trace.append(f"'{self.text}' names result {number}: {chosen}")
        return IntentMatch(chosen, 70.0, {**match.entities, "number": number}, how="reference")

    async def _leaning_to_a_command(self, match: IntentMatch) -> IntentMatch | None:
        """Text about to be searched that the classifier reads as a command, more likely than
        not, while none of its words is in the repository's code: a search would find nothing,
        so the user is asked which was meant ("cancelar búsqueda", "suche starten")."""
        likely = self._likely_command(match)
        repo = self.slots.get("repo")
        if likely is None or not isinstance(repo, str):
            return None
        words = [
            w
            for w in normalize(self.text).split()
            if len(w) > 2 and w not in STOPWORDS and w not in PLACEHOLDERS and not w.isdigit()
        ]
        for word in words:
            if await self.ports.search.occurs(word, repo):
                return None
        self.trace.append(
            f"'{self.text}' leans to {likely.intent}, and no word of it is in the code"
        )
        return likely

    def _likely_command(self, match: IntentMatch, floor: float = LEANING) -> IntentMatch | None:
        """The command the classifier finds likeliest, at ``floor`` or above (more likely than
        not), for text about to be searched in the selected repository, when it could be done
        here and the text is no code."""
        repo = self.slots.get("repo")
        if not isinstance(repo, str) or repo not in self.repos or looks_like_code(self.text):
            return None
        found = self._reading()
        if found is None or found[0] == OTHER or found[1] < floor:
            return None
        intent = found[0]
        if self._bot_question_not_asked(IntentMatch(intent, 100.0 * found[1], match.entities)):
            return None
        here = self.compiled.has_trigger(self.state, intent)
        if intent not in self.compiled.flows.globals and not here:
            return None
        if any(t.trigger == intent and t.target == self.state.id for t in self.state.on):
            return None  # "a new search?" asked at the search prompt would lead nowhere
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
        common = STOPWORDS | self.compiled.matcher(self.state.id).words
        repo = described_repo(normalize(self.text).split(), descriptions, common=common)
        if repo is None:
            return match
        self.trace.append(f"'{self.text}' describes {repo}")
        # Its other words describe the repository: none of them is a search ("aio http")
        return replace(match, entities={**match.entities, "repo": repo}, how="named")

    def _asks_about_a_repository(self, match: IntentMatch) -> bool:
        """The command that takes a repository, read from a message that names one and asks
        a question with words of no example of the command ("how does codechat search with a
        regex"): a question about that repository. "How do I switch to aiohttp" is the
        command; so is every example as written ("what about aiohttp")."""
        command = self.compiled.repo_command
        repo = match.entities.get("repo")
        if command is None or match.intent != command or not repo or match.how == "exact":
            return False
        matcher = self.compiled.matcher(self.state.id)
        own = matcher.own_words(command)
        tokens, rest = self._words_besides(str(repo), self.aliases)
        if _the_subject(tokens):
            return True  # "how does codechat pick a repo": what it does, not where to go
        if not asks(rest):
            return False
        return any(t not in own and t not in QUESTION_WORDS for t in rest)

    def _names_a_repository_to_use(self, match: IntentMatch) -> bool:
        """The command that takes a repository, near an example of it, with a repository
        named (also by another name: "i wanted the http one"), that the classifier reads as
        that command rather than other text: its other words are not a search, even where
        the code has them. "http client timeout" reads as other text, and is searched."""
        command = self.compiled.repo_command
        return (
            command is not None
            and match.intent == command
            and bool(match.entities.get("repo"))
            and self._reads_as(command)
        )

    def _reads_as(self, intent: str) -> bool:
        """The classifier finds ``intent`` likelier than other text for the message, read with
        the repositories' other names as names or as the words they are ("the async http
        library")."""
        matcher = self.compiled.matcher(self.state.id)
        for aliases in (self.aliases, None) if self.aliases else (None,):
            found = matcher.likeliest(
                self.text, (intent,), other=True, repos=self.repos, aliases=aliases
            )
            if found is not None and found[0] == intent:
                return True
        return False

    def _surely_reads_as(self, intent: str) -> bool:
        """The classifier reads the message as ``intent`` with near certainty."""
        found = self._reading()
        return found is not None and found[0] == intent and found[1] >= SURE_READING

    def _points_at_shown(self, match: IntentMatch) -> bool:
        """A command about a result that names one on screen by its number, as a reference
        ("open up 1", "4?? what is it"): its other words are not a search, even where the
        code has them. A result named by its symbol is pointed at when said as "the X one"
        ("the Template one's code"), not otherwise ("and for select_autoescape": the name may
        as well be a question about that code)."""
        number = match.entities.get("number")
        shown = self.shown
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
        repo = self.slots.get("repo")
        rest = [t for t in tokens if not t.lstrip("#").isdigit() and t not in PLACEHOLDERS]
        if len(tokens) > SHORT_REFERENCE_WORDS or not rest:
            return False
        if not isinstance(repo, str) or repo not in self.repos:
            return False
        return not await self.ports.search.occurs(" ".join(rest), repo)

    async def _only_a_repository(self, match: IntentMatch) -> IntentMatch:
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
        tokens, rest = self._words_besides(str(repo))
        if len(rest) > 3 or looks_like_code(self.text):
            return match
        if asks(rest):
            return match  # "как aiohttp закрывает соединения": a question about it
        commands = self.compiled.matcher(self.state.id).words
        if tokens[-2:-1] in (["in"], ["inside"], ["within"]) and not set(rest) & commands:
            return match  # "qqzzxxvvkk in aiohttp": a search there
        for word in rest:
            if len(word) > 2 and await self.ports.search.occurs(word, str(repo)):
                # "aiohttp websocket": a word of its code, so a search there, unless the
                # message reads as the command
                if not self._reads_as(command):
                    return match
                break
        self.trace.append(f"'{self.text}' names only a repository")
        return IntentMatch(command, 80.0, match.entities, how="named")

    def _words_besides(
        self, repo: str, aliases: Mapping[str, str] | None = None
    ) -> tuple[list[str], list[str]]:
        """The message's words with ``repo`` (by its name, or by ``aliases``) as a placeholder,
        and those of them that are neither filler nor a placeholder."""
        tokens = find_repos(normalize(self.text).split(), [repo], aliases=aliases).tokens
        return tokens, [t for t in tokens if t not in STOPWORDS and t not in PLACEHOLDERS]

    def _list_on_screen(self) -> bool:
        """The state offers numbered things to pick (results, repositories, menu options):
        what is typed there is first of all an answer to them, not a search."""
        return any(self.compiled.has_trigger(self.state, n) for n in self.compiled.numbered_intents)

    def _pleasantry_and_more(self, match: IntentMatch) -> bool:
        """A greeting, thanks or okay (a global that only answers) said with more than two
        words no example of it has."""
        command = self.compiled.flows.globals.get(match.intent or "")
        return command is not None and command.builtin == "hint" and len(match.unknown_words) > 2

    def _next_page_asked(self) -> bool:
        """Under a page of results, the numbers of the next one ("6-10 pls" under 1-5), as the
        bot writes them ("6-10 of 44")."""
        intent = self.compiled.page_intent
        if intent is None or not self.slots.get("shown") or not self.shown:
            return False
        if not self.compiled.has_trigger(self.state, intent):
            return False
        asked = page_asked(self.text)
        return asked is not None and asked[0] == self.shown[-1][0] + 1

    def _command_beside_pleasantry(self, match: IntentMatch) -> IntentMatch:
        """A thanks, okay or greeting said with a command about a number ("open 3 thanks",
        "explain 2 🙏", "3 thanks" among repositories): the command, when the words besides the
        pleasantry's are surely one. "thanks for the help" stays thanks."""
        command = self.compiled.flows.globals.get(match.intent or "")
        if command is None or command.builtin != "hint" or "number" not in match.entities:
            return match
        matcher = self.compiled.matcher(self.state.id)
        own = matcher.own_words(str(match.intent)) - STOPWORDS
        tokens = normalize(self.text).split()
        rest = [t for t in tokens if t not in own]
        if not rest or len(rest) == len(tokens):
            return match
        found = matcher.match(" ".join(rest), repos=self.repos, aliases=self.aliases)
        if found.intent is None or found.intent == match.intent or not found.sure:
            return match
        self.trace.append(f"'{self.text}' is {found.intent}, said with {match.intent}")
        return found

    def _defines_any(self, words: tuple[str, ...]) -> bool:
        """Any of ``words`` is something the selected repository (before one is chosen, any
        of the sender's) defines."""
        repo = self.slots.get("repo")
        names = (repo,) if isinstance(repo, str) and repo in self.repos else tuple(self.repos)
        search = self.ports.search
        return any(search.defines(w, name) for name in names for w in words if _may_name_code(w))

    async def _names_code(self, words: tuple[str, ...]) -> bool:
        """A message that is partly a command's words names code when any of its other words is
        something the repository defines ("reset cookies in the jar"), or when two or more
        words besides the command's all occur in it ("explain how autoescaping works").
        Before a repository is chosen, any of the sender's repositories counts."""
        repo = self.slots.get("repo")
        chosen = isinstance(repo, str) and repo in self.repos
        search = self.ports.search
        own = [w for w in words if not w.startswith("{")]
        for name in (repo,) if chosen else self.repos:
            assert isinstance(name, str)
            if any(search.defines(w, name) for w in words if _may_name_code(w)):
                return True
            if len(own) >= 2 and await search.occurs(" ".join(own), name):
                return True
        return False

    def _about_this(self, intent: str, *, spare: int = 0) -> bool:
        """The message says "this" or is a sentence, in ``intent``'s words, filler and words
        for what is on screen (bot/nlu/pointing.py)."""
        known = self.compiled.matcher(self.state.id).own_words(intent)
        return in_words_of(normalize(self.text).split(), known, spare=spare)

    def _command_about_this(self, match: IntentMatch) -> IntentMatch:
        """With a result open, a message that says "this" in the words of a command about a
        result ("ok what does this thing do", "what does this code do exactly") is that command
        about the result open, though its words also read as another (help)."""
        opened = self.slots.get("opened")
        if not isinstance(opened, int) or match.how == "exact" or "number" in match.entities:
            return match
        command = self.compiled.flows.globals.get(match.intent or "")
        if match.intent is not None and (command is None or command.builtin is None):
            return match  # the state's own commands, and those that go somewhere, stand
        tokens = normalize(self.text).split()
        if not refers(tokens) or "bot" in tokens:
            return match  # "how does this bot work exactly": the bot, not the result
        about = [
            n for n in self.compiled.result_intents if self.compiled.has_trigger(self.state, n)
        ]
        found = self.compiled.matcher(self.state.id).likeliest(self.text, about) if about else None
        if found is None or not self._about_this(found[0], spare=1):
            return match
        self.trace.append(f"'{self.text}' is {found[0]} about the result open, not {match.intent}")
        return IntentMatch(found[0], 80.0, {**match.entities, "number": opened}, how="reference")

    async def _occurs_in_code(self, match: IntentMatch) -> bool:
        """Where any text is taken (a search, a name), a near miss is not read as a command
        when its own words (those of no command example) occur in the selected repository's
        code: "heap" may be a search, while a misspelt "hepl" stays help."""
        repo = self.slots.get("repo")
        if not isinstance(repo, str) or repo not in self.repos:
            return False
        # A typo fixed word by word is judged by the words fixed; a whole-text likeness
        # ("return" for "retour") by every word typed, unless it says "this" or "that", or is
        # a sentence, and all its other words but the command's own are filler or words for
        # what is on screen ("what does that function do", "i want to look for some code").
        words = match.unknown_words if match.how == "edit" else tuple(self.text.split())
        if match.how != "edit" and self._about_this(str(match.intent)):
            return False
        own = [w for w in words if not w.startswith("{")]
        return bool(own) and await self.ports.search.occurs(" ".join(own), repo)


# The verb that asks what the repository named after it does ("how does codechat pick a repo",
# "does aiohttp support http2"), when it opens the question or follows its question word
_ASKING_VERBS = frozenset({"does", "do", "did"})


def _the_subject(tokens: list[str]) -> bool:
    """A repository (as its placeholder in ``tokens``) asked about as the subject of a
    question, with more words after it: "where does codechat switch repos", not "can we do
    aiohttp now"."""
    for i, token in enumerate(tokens[1:-1], 1):
        if token != REPO or tokens[i - 1] not in _ASKING_VERBS:
            continue
        if i == 1 or tokens[i - 2] in QUESTION_WORDS:
            return True
    return False


def _may_name_code(word: str) -> bool:
    """A word of a message that could be the name of something in the code: an identifier of
    three letters or more that is no word of grammar ("not" in a sentence names nothing)."""
    return word.isidentifier() and len(word) > 2 and word not in GRAMMAR_WORDS
