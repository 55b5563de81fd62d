"""One turn of one conversation: the model the shared machine moves, and the turn's logic."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.engine import clarify
from bot.engine.actions import ActionContext, ActionRegistry
from bot.engine.choices import clarify_choices, render_choices
from bot.engine.hints import any_time, next_steps
from bot.engine.machine import CompiledFlows
from bot.engine.reading import Reading, Verdict
from bot.engine.reply import Choice
from bot.flows.model import OTHERWISE, GlobalCommand, State
from bot.nlu.classify import IntentClassifier
from bot.nlu.match import IntentMatch
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
    "offer": "If you meant *{{ label }}*, send *{{ command }}*.",
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
        aliases: Mapping[str, str] | None = None,
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
        self.aliases = aliases or {}  # the repositories' other names (alias -> repository)
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
        reading = Reading(
            self.compiled,
            state,
            self.text,
            self.session.slots,
            self.repos,
            self.ports,
            self.trace,
            self.aliases,
        )
        verdict = await self._model_decides(await reading.verdict(match))
        if verdict.ask is not None:
            self._ask(verdict.ask, state)
            return
        match, also_code = verdict.match, verdict.also_code
        takes_text = self.compiled.has_trigger(state, OTHERWISE)
        self.entities = self.compiled.expose(
            match.entities, self.session.slots, results=self.compiled.about_results(state)
        )
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
                if trigger == OTHERWISE and verdict.maybe is not None:
                    self._offer(verdict.maybe)
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

    def _offer(self, leaning: IntentMatch) -> None:
        """After a search of text the classifier reads as a command, how to have the command
        ("If you meant *help*, send *help*."): its first example, with the message's number or
        repository; none when the example needs one the message did not give. A "yes" next
        takes it (see clarify.py)."""
        label = self._label(leaning.intent or "")
        command = self._example(leaning.intent or "")
        for placeholder, entity, kind in (("{n}", "number", int), ("{repo}", "repo", str)):
            value = leaning.entities.get(entity)
            if placeholder in command and isinstance(value, kind):
                command = command.replace(placeholder, str(value))  # not "the last": a number
        if not label or "{" in command:
            return
        self.trace.append(f"offered {leaning.intent}")
        self.say(self.message("offer", label=label, command=command))
        self.session.slots[clarify.SLOT] = clarify.offer(leaning, self.text, self.state)

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

    async def _model_decides(self, verdict: Verdict) -> Verdict:
        """A clarifying question about to be asked, or a search of text the classifier reads as
        a command: where a language model is configured, it says whether the command was meant
        (taken at once) or not (searched), and the user is asked nothing."""
        doubt = verdict.ask or verdict.maybe
        if doubt is None or doubt.intent is None or self.classifier is None:
            return verdict
        meant = await self.classifier.confirm(
            self.text, doubt.intent, self._example(doubt.intent), spend=self.session.context
        )
        if meant is None:
            return verdict  # no model answered: as the words alone decided
        self.trace.append(f"model: {doubt.intent if meant else 'not ' + doubt.intent}")
        if meant:
            return Verdict(doubt)
        return Verdict(IntentMatch(None, doubt.score, verdict.match.entities, how="clarified"))

    async def _disambiguate(self, match: IntentMatch) -> str | None:
        assert self.classifier is not None and match.intent is not None
        names = [match.intent, *(name for name, _score in match.alternatives)]
        candidates = [(n, self._example(n)) for n in names]
        picked = await self.classifier.classify(self.text, candidates, spend=self.session.context)
        self.trace.append(f"classifier picked {picked}")
        return picked if picked in names else None

    def _example(self, intent: str) -> str:
        """How a language model is shown ``intent``: its first example."""
        found = self.compiled.flows.intents.get(intent)
        return found.examples[0] if found is not None and found.examples else intent

    async def _run_global(self, command: GlobalCommand, state: State) -> None:
        self.trace.append(f"global {command.intent}")
        if command.say:
            self.say(self.compiled.templates.render(command.say, self.template_context()))
        if command.builtin == "help":
            self.say_help(state)
            return
        if command.builtin in ("hint", "answer"):
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
