"""Flows loaded from YAML: frozen, typed, each part remembering its file and line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OTHERWISE = "_otherwise"  # the trigger for "any other text"
AUTO = "_auto"  # the trigger for transitions taken right after entering a state


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class ActionCall:
    name: str
    args: Mapping[str, Any]
    source: Source


@dataclass(frozen=True, slots=True)
class Transition:
    """`on:` (intent or otherwise) and `then:` (automatic) entries of a state."""

    trigger: str  # an intent name, OTHERWISE or AUTO
    target: str  # fully qualified: "flow.state"
    when: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class Timeout:
    seconds: float
    target: str
    source: Source


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    """One `choices:` entry: a button or list item the state offers. ``label`` and ``value``
    are templates; with ``each`` ("r in repos") there is one choice per item of the list."""

    label: str
    value: str  # what a tap sends, as if typed: "1", "open {{ r.n }}", "more"
    when: str | None
    each: tuple[str, str] | None  # (loop variable, list expression)
    source: Source


@dataclass(frozen=True, slots=True)
class State:
    flow: str
    name: str
    say: tuple[str, ...]
    actions: tuple[ActionCall, ...]
    on: tuple[Transition, ...]
    then: tuple[Transition, ...]
    help: str | None
    final: bool
    timeout: Timeout | None
    source: Source
    key_lines: Mapping[str, int] = field(default_factory=dict)  # "say" -> its line, ...
    # Where each `say` text (and the `help` text) starts: line N of a template is at that
    # line + N - 1 when the text is a literal block (`|`) or a single line; a folded block
    # (`>-`) joins its lines, so only its first line is exact.
    say_lines: tuple[int, ...] = ()
    help_line: int | None = None
    choices: tuple[ChoiceSpec, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.flow}.{self.name}"

    def source_of(self, key: str) -> Source:
        """Where the state's ``key`` (say, help, do...) is written; the state's line if absent."""
        return Source(self.source.file, self.key_lines.get(key, self.source.line))

    def say_source(self, index: int) -> Source:
        """Where the text of ``say`` item ``index`` starts."""
        if index < len(self.say_lines):
            return Source(self.source.file, self.say_lines[index])
        return self.source_of("say")

    def help_source(self) -> Source:
        if self.help_line is not None:
            return Source(self.source.file, self.help_line)
        return self.source_of("help")

    @property
    def waits_for_input(self) -> bool:
        return not self.then

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.on if t.trigger != OTHERWISE))


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    description: str
    start: str  # fully qualified
    states: Mapping[str, State]  # by fully qualified id
    source: Source


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    examples: tuple[str, ...]
    source: Source
    label: str | None = None  # how a clarifying question names it ("more results")
    hint: str | None = None  # how help and next-step lines offer it ("*more* for more results")
    # "result": about one result; a result on screen named by its symbol or file stands for its
    # number ("explain the get_bucket one" is "explain 5"). "page": the next page of results,
    # also asked for by its numbers ("6-10" under results 1-5)
    about: str | None = None


@dataclass(frozen=True, slots=True)
class Phrasings:
    """Messages labelled with one intent (or `otherwise`) under `phrasings:`."""

    label: str
    texts: tuple[str, ...]
    source: Source


PHRASED_OTHERWISE = "otherwise"  # the label of text that is searched or asked as typed

ENTITY_KINDS = frozenset({"number", "repo", "reference", "query"})


@dataclass(frozen=True, slots=True)
class EntityDecl:
    """An entity flows may read as ``entities.NAME`` (declared under `entities:`)."""

    name: str
    kind: str  # one of ENTITY_KINDS
    source: Source


@dataclass(frozen=True, slots=True)
class GlobalCommand:
    """An intent that works in every state and takes precedence."""

    intent: str
    builtin: str | None  # one of BUILTINS
    target: str | None  # fully qualified state to go to
    say: str | None
    reset: bool  # clear the slots (keeping those in `keep`)
    keep: tuple[str, ...]
    source: Source


# help: the state's commands; back: undo a step; repeat: say the state again; hint: say only
# what can be typed next (after a short reply such as "You're welcome!"); answer: the same after
# the answer to a question about the bot ("is it case sensitive?"), which is no pleasantry.
BUILTINS = frozenset({"help", "back", "repeat", "hint", "answer"})


@dataclass(frozen=True, slots=True)
class UnloadedFile:
    """A flow file that could not be read (YAML error, not text). What it would have declared is
    unknown, so checks that depend on it stay quiet rather than blame the files that are fine."""

    source: Source  # where its error is reported
    flow: str | None  # the flow it names (`flow: search`), when that much could be read
    keys: frozenset[str]  # the top-level keys it seems to hold (intents, globals, states...)

    def may_declare_flow(self, name: str) -> bool:
        if self.flow is not None:
            return self.flow == name
        return bool({"flow", "states"} & self.keys)


@dataclass(frozen=True, slots=True)
class FlowSet:
    """Every flow, intent and global command of one version of the flows directory."""

    flows: Mapping[str, Flow]
    intents: Mapping[str, Intent]
    globals: Mapping[str, GlobalCommand]
    messages: Mapping[str, str]  # engine messages: fallback, empty, too_long, help...
    start: str  # the state new users start in
    version: str
    files: tuple[str, ...] = field(default=())
    message_sources: Mapping[str, Source] = field(default_factory=dict)
    # `first_message: answer`: a new user's first message is handled after the welcome when
    # the state it waits in takes it as other text (a search typed as the very first message).
    answer_first_message: bool = False
    entry_source: Source | None = None  # where `entry:` is written (None: not declared)
    unloaded: tuple[UnloadedFile, ...] = ()  # files whose content could not be read
    entities: Mapping[str, EntityDecl] = field(default_factory=dict)
    # `phrasings:`: whole messages labelled with the intent they meant, or `otherwise` (text
    # searched or asked as typed); they teach the classifier for what no example matches.
    phrasings: Mapping[str, Phrasings] = field(default_factory=dict)

    def state(self, state_id: str) -> State | None:
        flow, _, _name = state_id.partition(".")
        found = self.flows.get(flow)
        return found.states.get(state_id) if found else None

    def all_states(self) -> list[State]:
        return [s for f in self.flows.values() for s in f.states.values()]
