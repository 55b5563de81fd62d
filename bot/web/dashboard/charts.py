"""Charts as inline SVG, drawn here: no script, no network, nothing to vendor.

Every chart is an ``<svg class="chart">`` with a ``<title>``; with no data it says so instead of
drawing empty axes. Text goes through ``escape``: labels can hold what users typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
# Colour-blind safe (Okabe-Ito), one per series in order.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    if value <= 8 and float(value).is_integer():  # small counts: whole-number ticks (4 of them)
        return 4.0 if value <= 4 else 8.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _number(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.4g}"


def _with_unit(value: float, unit: str) -> str:
    return f"${_number(value)}" if unit == "$" else f"{_number(value)}{unit}"


def _empty(title: str) -> Markup:
    return Markup(
        '<svg class="chart empty" viewBox="0 0 {w} 60" role="img" aria-label="{t}">'
        '<title>{t}</title><text x="{x}" y="34" text-anchor="middle">No data in this window'
        "</text></svg>"
    ).format(w=WIDTH, t=title, x=WIDTH // 2)


def _axes(top: float, labels: Sequence[str], unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_with_unit(value, unit))}</text>"
        )
    step = max(1, len(labels) // 8)
    plot_w = WIDTH - LEFT - RIGHT
    for i in range(0, len(labels), step):
        x = LEFT + plot_w * (i + 0.5) / len(labels)
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    return parts


def line_chart(
    labels: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str, unit: str = ""
) -> Markup:
    """One line per series over shared x labels (e.g. days); points carry their value as a title."""
    values = [v for points in series.values() for v in points]
    if not labels or not values or not any(values):
        return _empty(title)
    top = _nice_max(max(values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _axes(top, labels, unit)
    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        xy = [
            (LEFT + plot_w * (i + 0.5) / len(labels), TOP + plot_h * (1 - v / top))
            for i, v in enumerate(points)
        ]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy))
        parts.append(f'<path class="series" d="{path}" stroke="{colour}" fill="none"/>')
        for (x, y), label, v in zip(xy, labels, points, strict=False):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>'
                f"{escape(name)} {escape(label)}: {escape(_with_unit(v, unit))}"
                "</title></circle>"
            )
    legend = "".join(
        f'<tspan fill="{PALETTE[n % len(PALETTE)]}">&#9632; </tspan><tspan>{escape(name)}  </tspan>'
        for n, name in enumerate(series)
    )
    parts.append(f'<text class="legend" x="{LEFT}" y="{TOP - 1}">{legend}</text>')
    return _svg(title, HEIGHT, parts)


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> Markup:
    """Horizontal bars, one row per item, longest first as given."""
    if not items or not any(v for _, v in items):
        return _empty(title)
    row, label_w = 22, 200
    height = TOP + row * len(items) + 8
    top = max(v for _, v in items)
    span = WIDTH - label_w - RIGHT - 60
    parts = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * row
        w = max(span * value / top, 1.0) if value else 0.0
        shown = label if len(label) <= 27 else label[:26] + "…"
        parts.append(
            f'<text class="tick" x="{label_w - 6}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{PALETTE[0]}"/>'
        )
        parts.append(
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 15}">'
            f"{escape(_with_unit(value, unit))}</text>"
        )
    return _svg(title, height, parts)


def _svg(title: str, height: float, parts: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(parts) + "</svg>")
