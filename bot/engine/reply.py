"""The channel-neutral reply: what a turn says, and the short list of choices it offers.

Replies are text written in the flows' light markup (``*bold*``, ``_italic_``, `` `code` ``,
fenced code blocks); each channel renders them and the choices in its own way
(bot/channels/*_render.py). A choice's ``value`` is the text the engine understands when the
choice is tapped, exactly as if it had been typed ("1", "open 2", "more").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Choice:
    label: str  # what the button or list item shows ("Search code", "aiohttp")
    value: str  # what a tap sends to the engine, as if typed ("1", "open 2", "more")


def numbered(choices: tuple[Choice, ...]) -> bool:
    """Choices whose values are their own numbers, 1, 2, 3... in order: a numbered list, where
    typing the number is the same as the tap (the menu, the repository list, a question)."""
    return bool(choices) and all(c.value == str(n) for n, c in enumerate(choices, 1))
