"""A turn's replies as terminal text: each reply as written, continued lines indented.

The terminal has nothing to tap, so choices are not drawn: the flows' own text already says
what can be typed (the menu's and the repository list's numbers, *open N*, *more*).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.reply import Choice


def render(replies: Sequence[str], choices: Sequence[Choice] = (), *, prefix: str = "") -> str:
    del choices  # see the module's docstring
    indent = "\n" + " " * len(prefix)
    return "\n".join(prefix + reply.replace("\n", indent) for reply in replies)
