"""Flow diagrams: states and transitions as Mermaid or Graphviz dot, intent names on the edges.

Given the edges no test walked (``untested``), those are drawn dashed and marked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.flows.model import AUTO, OTHERWISE, FlowSet

TIMEOUT = "_timeout"
Edge = tuple[str, str, str]  # (from state, trigger, to state), as in bot.testing.coverage


@dataclass(frozen=True, slots=True)
class Arrow:
    source: str
    target: str
    label: str
    edge: Edge


def arrows(flows: FlowSet) -> list[Arrow]:
    out: list[Arrow] = []
    for state in flows.all_states():
        for t in (*state.on, *state.then):
            if t.trigger == AUTO:
                label = f"when {t.when}" if t.when else ""
            elif t.trigger == OTHERWISE:
                label = "other text"
            else:
                label = t.trigger + (f" [{t.when}]" if t.when else "")
            out.append(Arrow(state.id, t.target, label, (state.id, t.trigger, t.target)))
        if state.timeout:
            target = state.timeout.target
            label = f"after {_duration(state.timeout.seconds)}"
            out.append(Arrow(state.id, target, label, (state.id, TIMEOUT, target)))
    return out


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _node(state_id: str) -> str:
    return re.sub(r"\W", "_", state_id)


def mermaid(flows: FlowSet, *, untested: Collection[Edge] | None = None) -> str:
    lines = ["flowchart TD"]
    lines.append(f'    start(("start")) --> {_node(flows.start)}')
    for flow in flows.flows.values():
        lines.append(f"    subgraph {flow.name}")
        for state in flow.states.values():
            shape = f'(["{state.name}"])' if state.final else f'["{state.name}"]'
            lines.append(f"        {_node(state.id)}{shape}")
        lines.append("    end")
    for arrow in arrows(flows):
        label = arrow.label.replace('"', "'")
        arrow_kind = "-->"
        if untested is not None and arrow.edge in untested:
            arrow_kind, label = "-.->", f"{label} (untested)".strip()
        text = f'|"{label}"|' if label else ""
        lines.append(f"    {_node(arrow.source)} {arrow_kind}{text} {_node(arrow.target)}")
    for command in flows.globals.values():
        if command.target:
            lines.append(f'    any(("any state")) -.->|"{command.intent}"| {_node(command.target)}')
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(flows: FlowSet, *, untested: Collection[Edge] | None = None) -> str:
    lines = ["digraph flows {", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines.append(f"    start [shape=circle, label=start]; start -> {_dot_quote(flows.start)};")
    for flow in flows.flows.values():
        lines.append(f"    subgraph {_dot_quote('cluster_' + flow.name)} {{")
        lines.append(f"        label={_dot_quote(flow.name)};")
        for state in flow.states.values():
            extra = ", peripheries=2" if state.final else ""
            lines.append(f"        {_dot_quote(state.id)} [label={_dot_quote(state.name)}{extra}];")
        lines.append("    }")
    for arrow in arrows(flows):
        attrs = [f"label={_dot_quote(arrow.label)}"] if arrow.label else []
        if untested is not None and arrow.edge in untested:
            attrs += ["style=dashed", "color=red", 'xlabel="untested"']
        joined = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {_dot_quote(arrow.source)} -> {_dot_quote(arrow.target)}{joined};")
    for command in flows.globals.values():
        if command.target:
            lines.append(
                f'    "any state" -> {_dot_quote(command.target)} '
                f"[label={_dot_quote(command.intent)}, style=dotted];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
