"""One compiled version of the flows: the transitions machine, the intent matchers, the templates.

Built once per flow version and shared by every user: a user's state lives in the store and is
handed to the machine per message on a light model object (transitions' advice: one machine, many
models).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Protocol

import jinja2
from transitions.extensions.asyncio import AsyncMachine

from bot.config import NluConfig
from bot.flows.entity_refs import declared_entities
from bot.flows.model import AUTO, PHRASED_OTHERWISE, FlowSet, State, Transition
from bot.flows.templates import TemplateCache
from bot.nlu.aboutbot import bot_words
from bot.nlu.entities import along_the_list, place_in_list
from bot.nlu.intents import IntentMatcher, example_key
from bot.nlu.learned import OTHER, LazyLearned

log = logging.getLogger("bot.flows")


class MachineModel(Protocol):
    """What the machine moves: the model carries the state and reacts on entering one."""

    state: str

    def template_context(self) -> dict[str, Any]: ...

    async def entered(self, state: State) -> None: ...


class SequentialAsyncMachine(AsyncMachine):
    """AsyncMachine that awaits callbacks and conditions one after another.

    The stock machine wraps every callback and condition of every transition in its own task
    (asyncio.gather); ours run in the declared order anyway, and the tasks cost more than the rest
    of a turn together."""

    @staticmethod
    async def await_all(
        callables: list[Callable[..., Coroutine[Any, Any, bool | None]]],
    ) -> list[bool | None]:
        return [await func() for func in callables]


def example_keys(flows: FlowSet) -> dict[str, str]:
    """The matcher's key of every example of ``flows`` (see bot.nlu.intents.example_key)."""
    return {
        text: example_key(text) for intent in flows.intents.values() for text in intent.examples
    }


_ABOUT_THE_BOT = frozenset({"help", "answer"})  # builtins of commands about the bot itself


class CompiledFlows:
    def __init__(
        self,
        flows: FlowSet,
        *,
        nlu: NluConfig,
        templates: TemplateCache | None = None,
        example_keys: Mapping[str, str] | None = None,
    ):
        """``example_keys``: the matcher's keys of the examples, when known already (kept with
        the flows' check); the others are computed."""
        self.flows = flows
        self.version = flows.version
        self.templates = templates or TemplateCache()
        self._states = {s.id: s for s in flows.all_states()}
        self._undefined_warned: set[Transition] = set()  # conditions that hit an unset name
        self.entity_kinds = declared_entities(flows)  # entity name -> kind
        self.machine = SequentialAsyncMachine(
            model=None,
            states=list(self._states),
            initial=None,
            auto_transitions=False,
            send_event=True,
        )
        for state in self._states.values():
            self.machine.get_state(state.id).on_enter.append(self._on_enter)  # type: ignore[arg-type]
            for transition in (*state.on, *state.then):
                self.machine.add_transition(
                    trigger=transition.trigger,
                    source=state.id,
                    dest=transition.target,
                    conditions=self._conditions(transition),
                )
        global_intents = {
            name: flows.intents[name].examples for name in flows.globals if name in flows.intents
        }
        # Without labelled other text the classifier could not tell a search from a command.
        learned = (
            LazyLearned(lambda: _labelled(flows)) if PHRASED_OTHERWISE in flows.phrasings else None
        )
        self._matchers: dict[str, IntentMatcher] = {}
        # States that match the same intents share one matcher: most states know every
        # labelled command, so a handful of matchers serve them all.
        built: dict[tuple[str, ...], IntentMatcher] = {}
        for state in self._states.values():
            # Commands of other states are known too, so "more" where nothing can be shown
            # is answered as such instead of searched (see Conversation.respond).
            examples = {
                name: intent.examples for name, intent in flows.intents.items() if intent.label
            }
            examples.update(
                {
                    name: flows.intents[name].examples
                    for name in state.intents
                    if name in flows.intents
                }
            )
            examples = {**examples, **global_intents}
            key = tuple(examples)
            if key not in built:
                built[key] = IntentMatcher(
                    examples,
                    threshold=nlu.threshold,
                    margin=nlu.ambiguity_margin,
                    preferred=global_intents,
                    learned=learned,
                    learned_confidence=nlu.learned_confidence,
                    keys=example_keys,
                )
            self._matchers[state.id] = built[key]
        intents = flows.intents
        # Commands about one result ("open", "explain"), and those that take a number from a
        # list on screen (those and "pick").
        self.result_intents = frozenset(n for n, i in intents.items() if i.about == "result")
        self.numbered_intents = self.result_intents | {
            n for n, i in intents.items() if any("{n}" in e for e in i.examples)
        }
        # The command for the next page of results ("more"), also said as its numbers ("6-10").
        self.page_intent = next((n for n, i in intents.items() if i.about == "page"), None)
        # The global command that takes a repository ("use {repo}"): switch_repo.
        self.repo_command = next(
            (
                name
                for name in flows.globals
                if name in intents and any("{repo}" in e for e in intents[name].examples)
            ),
            None,
        )

    def state(self, state_id: str) -> State | None:
        return self._states.get(state_id)

    @functools.cached_property
    def about_the_bot(self) -> frozenset[str]:
        """The global commands that help or answer a question about the bot."""
        return frozenset(n for n, g in self.flows.globals.items() if g.builtin in _ABOUT_THE_BOT)

    @functools.cached_property
    def bot_words(self) -> frozenset[str]:
        """The words the bot uses itself (see bot/nlu/aboutbot.py): what its states, commands
        and messages say, its commands' labels and hints, and the examples of help and of the
        questions about it. Read when first asked, not at start."""
        flows = self.flows
        texts = [*flows.messages.values()]
        for state in self._states.values():
            texts += [*state.say, state.help or "", *(c.label for c in state.choices)]
        texts += [g.say or "" for g in flows.globals.values()]
        for name, intent in flows.intents.items():
            texts += [intent.label or "", intent.hint or ""]
            if name in self.about_the_bot:
                texts += intent.examples
        return bot_words(texts)

    def expose(
        self, found: Mapping[str, Any], slots: Mapping[str, Any], *, results: bool = True
    ) -> dict[str, Any]:
        """The matcher's entities under the names the flows declare. "this"/"it" is the result
        opened or explained last (slot `opened`), when no number was given. With ``results``
        False (a state that lists something else, like the repositories), "the last one" and
        "the middle one" are left for that state's action to count in its own list."""
        by_kind: dict[str, Any] = {
            "number": found.get("number"),
            "repo": found.get("repo"),
            "reference": found.get("ref"),
            "query": found.get("query"),
        }
        opened = slots.get("opened")
        if found.get("ref") and by_kind["number"] is None and isinstance(opened, int):
            by_kind["number"] = opened
        shown = slots.get("shown") or slots.get("results") or []
        cited = slots.get("cited")  # an answer cites its first results, a page shows five
        along = along_the_list(by_kind["number"], opened)  # "explain the next one"
        if along is not None:
            by_kind["number"] = along
        # "the last one", "the one before the last", "the middle one": among the results an
        # answer cites, or else those shown
        said = by_kind["number"] if results else None
        among_cited = place_in_list(said, cited) if isinstance(cited, int) else None
        among_shown = place_in_list(said, len(shown))
        if among_cited is not None:
            by_kind["number"] = among_cited
        elif among_shown is not None:
            by_kind["number"] = shown[among_shown - 1]["n"]
        return {
            name: by_kind[kind]
            for name, kind in self.entity_kinds.items()
            if by_kind.get(kind) is not None
        }

    def about_results(self, state: State) -> bool:
        """Whether ``state`` takes commands about results (open, explain): its numbers count
        in the results shown."""
        return any(self.has_trigger(state, t) for t in ("open_result", "explain"))

    def matcher(self, state_id: str) -> IntentMatcher:
        return self._matchers[state_id]

    def has_trigger(self, state: State, trigger: str) -> bool:
        return any(t.trigger == trigger for t in (*state.on, *state.then))

    async def fire(self, model: MachineModel, trigger: str) -> bool:
        """Fire ``trigger`` for ``model``; True when a transition was taken."""
        event = self.machine.events.get(trigger)
        if event is None:
            return False
        taken: bool = await event.trigger(model)
        return taken

    async def settle(self, model: MachineModel, *, limit: int = 12) -> None:
        """Follow automatic (`then:`) transitions until a state waits for input."""
        for _ in range(limit):
            state = self._states.get(model.state)
            if state is None or state.waits_for_input or not await self.fire(model, AUTO):
                return
        raise RuntimeError(f"automatic transitions loop from '{model.state}'")

    def _conditions(self, transition: Transition) -> list[Callable[[Any], bool]]:
        if transition.when is None:
            return []
        when = transition.when

        def holds(event: Any) -> bool:
            # Compiled when first tested (once: the template cache keeps it), not with the
            # flows: most conditions are never tested in a short chat. Validation has parsed it.
            test = self.templates.condition(when)
            try:
                return test(event.model.template_context())
            except jinja2.UndefinedError as exc:
                # A name that is not set is false in a condition, also when the condition
                # compares it (`entities.number > 2`) or looks inside it, where Jinja raises.
                self._warn_undefined(transition, exc)
                return False

        return [holds]

    def _warn_undefined(self, transition: Transition, exc: jinja2.UndefinedError) -> None:
        """Log once per condition (and flow version), so a busy state does not flood the log."""
        if transition in self._undefined_warned:
            return
        self._undefined_warned.add(transition)
        log.warning(
            "flows.condition_undefined %s: condition '%s' counts as false: %s",
            transition.source,
            transition.when,
            exc.message,
        )

    async def _on_enter(self, event: Any) -> None:
        model: MachineModel = event.model
        entered: Callable[[State], Awaitable[None]] = model.entered
        await entered(self._states[event.transition.dest])


def _labelled(flows: FlowSet) -> list[tuple[str, str]]:
    """What the classifier learns from: every intent's examples and the `phrasings:`."""
    pairs = [
        (example_key(text), name)
        for name, intent in flows.intents.items()
        for text in intent.examples
    ]
    for phrased in flows.phrasings.values():
        label = OTHER if phrased.label == PHRASED_OTHERWISE else phrased.label
        pairs += [(example_key(text), label) for text in phrased.texts]
    return pairs
