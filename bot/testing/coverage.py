"""Which states, transitions and global commands the conversation tests walked, read from the
turns' traces (the lines ``enter S``, ``intent I ...``, ``global G``, ``transition A -> B on T``,
``timeout A -> B`` and ``back to S`` that the engine records)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.flows.model import AUTO, OTHERWISE, FlowSet, Source
from bot.testing.runner import CaseResult
from bot.testing.turn import Turn

TIMEOUT = "_timeout"
Edge = tuple[str, str, str]  # (from state, trigger, to state)


@dataclass(slots=True)
class Walked:
    states: set[str] = field(default_factory=set)
    edges: set[Edge] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)

    def add_turn(self, turn: Turn) -> None:
        current, fired, jumped = turn.state_before, False, not turn.state_before
        for line in turn.trace:
            kind, _, rest = line.partition(" ")
            if kind == "intent":
                fired = True
            elif kind == "global":
                self.globals.add(rest)
                fired, jumped = False, True
            elif kind == "timeout":
                source, _, target = rest.partition(" -> ")
                self.edges.add((source, TIMEOUT, target))
                fired, jumped = False, True
            elif kind == "transition":
                source, _, tail = rest.partition(" -> ")
                target, _, trigger = tail.partition(" on ")
                self.edges.add((source, trigger, target))
                current = target
            elif kind == "back":
                current = rest.removeprefix("to ")
            elif kind == "enter":
                self.states.add(rest)
                if not fired and not jumped and current:
                    self.edges.add((current, AUTO, rest))
                fired = jumped = False
                current = rest

    def add_results(self, results: Iterable[CaseResult]) -> Walked:
        for result in results:
            for turn in result.turns:
                self.add_turn(turn)
        return self


@dataclass(frozen=True, slots=True)
class Gap:
    kind: str  # "state" | "transition" | "global"
    name: str
    source: Source

    def __str__(self) -> str:
        return f"{self.source}: {self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Coverage:
    states: tuple[int, int]  # walked, declared
    transitions: tuple[int, int]
    globals: tuple[int, int]
    gaps: tuple[Gap, ...]
    untested_edges: frozenset[Edge]

    def text(self) -> str:
        def part(label: str, pair: tuple[int, int]) -> str:
            return f"{pair[0]}/{pair[1]} {label}"

        head = (
            f"coverage: {part('states', self.states)}, {part('transitions', self.transitions)}, "
            f"{part('global commands', self.globals)}"
        )
        if not self.gaps:
            return head + " - everything was walked"
        return "\n".join([head, "not walked by any test:", *(f"  {g}" for g in self.gaps)])

    def as_json(self) -> str:
        return json.dumps(
            {
                "states": list(self.states),
                "transitions": list(self.transitions),
                "globals": list(self.globals),
                "gaps": [
                    {"kind": g.kind, "name": g.name, "file": g.source.file, "line": g.source.line}
                    for g in self.gaps
                ],
            },
            indent=2,
        )


def declared_edges(flows: FlowSet) -> list[tuple[Edge, Source]]:
    out: list[tuple[Edge, Source]] = []
    for state in flows.all_states():
        for t in (*state.on, *state.then):
            out.append(((state.id, t.trigger, t.target), t.source))
        if state.timeout is not None:
            out.append(((state.id, TIMEOUT, state.timeout.target), state.timeout.source))
    return out


def edge_label(edge: Edge) -> str:
    source, trigger, target = edge
    how = {AUTO: "then", TIMEOUT: "timeout", OTHERWISE: "other text"}.get(trigger, f"on {trigger}")
    return f"{source} -> {target} ({how})"


def measure(flows: FlowSet, walked: Walked) -> Coverage:
    gaps: list[Gap] = []
    states = flows.all_states()
    for state in states:
        if state.id not in walked.states:
            gaps.append(Gap("state", state.id, state.source))
    edges = declared_edges(flows)
    untested = set()
    seen: set[Edge] = set()
    for edge, source in edges:
        if edge in seen:
            continue
        seen.add(edge)
        if edge not in walked.edges:
            untested.add(edge)
            gaps.append(Gap("transition", edge_label(edge), source))
    for command in flows.globals.values():
        if command.intent not in walked.globals:
            gaps.append(Gap("global", command.intent, command.source))
    gaps.sort(key=lambda g: (g.source.file, g.source.line, g.kind))
    return Coverage(
        states=(len(states) - sum(g.kind == "state" for g in gaps), len(states)),
        transitions=(len(seen) - len(untested), len(seen)),
        globals=(len(flows.globals) - sum(g.kind == "global" for g in gaps), len(flows.globals)),
        gaps=tuple(gaps),
        untested_edges=frozenset(untested),
    )
