"""The flows drawn as an SVG diagram, states shaded and arrows thickened by traffic.

The states and arrows are those `python -m bot graph` draws (bot/flows/graph.py); columns
follow the distance from the start state, so a conversation reads left to right.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

from markupsafe import Markup, escape

from bot.flows.graph import arrows
from bot.flows.model import FlowSet

BOX_W, BOX_H, COL_W, ROW_H, PAD = 160, 42, 210, 60, 24
_LIGHT, _DARK = (0xEE, 0xF4, 0xFB), (0x08, 0x51, 0x9C)


def _layers(flows: FlowSet, edges: set[tuple[str, str]]) -> dict[str, int]:
    layer = {flows.start: 0}
    queue = deque([flows.start])
    following: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        following.setdefault(source, []).append(target)
    while queue:
        state = queue.popleft()
        for target in following.get(state, ()):
            if target not in layer:
                layer[target] = layer[state] + 1
                queue.append(target)
    last = max(layer.values(), default=0) + 1
    for each in flows.all_states():  # reached only by global commands
        layer.setdefault(each.id, last)
    return layer


def _shade(share: float) -> str:
    rgb = (round(a + (b - a) * share) for a, b in zip(_LIGHT, _DARK, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def flow_diagram(
    flows: FlowSet, entered: Mapping[str, int], moves: Mapping[tuple[str, str], int]
) -> Markup:
    """``entered``: conversations per state; ``moves``: (from state, to state) -> how many."""
    edges = {(a.source, a.target) for a in arrows(flows)} | set(moves)
    states = {s.id for s in flows.all_states()} | {s for e in moves for s in e}
    layer = _layers(flows, {e for e in edges if e[0] in states})
    for state in states:
        layer.setdefault(state, max(layer.values(), default=0) + 1)
    columns: dict[int, list[str]] = {}
    for state in sorted(states, key=lambda s: (layer[s], s)):
        columns.setdefault(layer[state], []).append(state)
    where: dict[str, tuple[float, float]] = {}
    for col, (_, members) in enumerate(sorted(columns.items())):
        for row, state in enumerate(members):
            where[state] = (PAD + col * COL_W, PAD + row * ROW_H)
    width = PAD * 2 + (len(columns) - 1) * COL_W + BOX_W
    height = PAD * 2 + max(len(m) for m in columns.values()) * ROW_H + 40
    most = max([*entered.values(), 1])
    busiest = max([*moves.values(), 1])
    parts = [
        '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#6b7a8c"/></marker></defs>'
    ]
    for source, target in sorted(edges):
        if source in where and target in where:
            parts.append(_edge(source, target, where, moves.get((source, target), 0), busiest))
    for state in sorted(states):
        parts.append(_node(flows, state, where[state], entered.get(state, 0), most))
    return Markup(
        f'<svg class="chart flowmap" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="Flows coloured by traffic">'
        "<title>Flows coloured by traffic</title>" + "".join(parts) + "</svg>"
    )


def _edge(
    source: str, target: str, where: Mapping[str, tuple[float, float]], count: int, busiest: int
) -> str:
    (x1, y1), (x2, y2) = where[source], where[target]
    if x2 > x1:  # forward: right side to left side
        sx, sy, tx, ty = x1 + BOX_W, y1 + BOX_H / 2, x2 - 2, y2 + BOX_H / 2
        bend = (tx - sx) / 2
        d = (
            f"M{sx:.0f},{sy:.0f} C{sx + bend:.0f},{sy:.0f} "
            f"{tx - bend:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
        )
    elif source == target:
        sx, sy = x1 + BOX_W * 0.7, y1 + BOX_H
        d = f"M{sx:.0f},{sy:.0f} c0,22 -40,22 -40,2"
    else:  # back or within a column: under the boxes
        sx, sy, tx, ty = x1 + BOX_W * 0.4, y1 + BOX_H, x2 + BOX_W * 0.6, y2 + BOX_H + 2
        dip = max(sy, ty) + 16 + abs(x1 - x2) / 12
        d = f"M{sx:.0f},{sy:.0f} C{sx:.0f},{dip:.0f} {tx:.0f},{dip:.0f} {tx:.0f},{ty:.0f}"
    width = 1 + 6 * math.sqrt(count / busiest) if count else 1
    kind = "move used" if count else "move"
    return (
        f'<path class="{kind}" d="{d}" stroke-width="{width:.1f}" marker-end="url(#arrowhead)">'
        f"<title>{escape(source)} → {escape(target)}: {count}</title></path>"
    )


def _node(flows: FlowSet, state: str, at: tuple[float, float], count: int, most: int) -> str:
    x, y = at
    share = math.log1p(count) / math.log1p(most) if count else 0.0
    ink = "light" if share > 0.55 else "dark"
    known = flows.state(state)
    rounded = 18 if known is not None and known.final else 6
    label = state if len(state) <= 24 else state[:23] + "…"
    start = ' stroke="#e69f00" stroke-width="3"' if state == flows.start else ""
    return (
        f'<g class="state"><title>{escape(state)}: {count} conversation(s) entered</title>'
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="{rounded}" '
        f'fill="{_shade(share)}"{start}/>'
        f'<text x="{x + BOX_W / 2}" y="{y + 17}" text-anchor="middle" class="{ink}">'
        f"{escape(label)}</text>"
        f'<text x="{x + BOX_W / 2}" y="{y + 33}" text-anchor="middle" '
        f'class="{ink} count">{count:,}</text></g>'
    )
