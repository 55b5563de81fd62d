"""A turn's replies and choices as Slack messages: mrkdwn sections and Block Kit buttons.

The flows write WhatsApp-style markup (``*bold*``, ``_italic_``, `` `code` ``, fenced blocks),
which Slack's mrkdwn reads the same way; what Slack needs besides is its own escaping of ``&``,
``<`` and ``>`` (else ``<!channel>`` or ``<https://evil|a link>`` typed by someone, or found in
code, would become a mention or a link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.twilio import split_reply
from bot.engine.reply import Choice

SECTION_CHARS = 3000  # a section block's text
BUTTON_LABEL_CHARS = 75  # a button's plain_text
BUTTON_VALUE_CHARS = 2000
BUTTONS_PER_BLOCK = 25
BLOCKS_PER_MESSAGE = 50
_MIN_CUT = 64  # escaped at most five times longer (&amp;): always within a section
ACTION_PREFIX = "choice-"  # action_id of a choice's button: choice-1, choice-2...


@dataclass(frozen=True, slots=True)
class SlackPost:
    """One chat.postMessage: ``text`` is what notifications and old clients show."""

    text: str
    blocks: tuple[dict[str, Any], ...]


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_escaped(text: str, limit: int, cut: int | None = None) -> list[str]:
    """``text`` escaped, in parts of at most ``limit`` characters. The text is cut before it is
    escaped, so no cut falls inside ``&lt;``; a part that escaping made too long is cut again,
    shorter."""
    cut = cut or limit
    parts = []
    for part in split_reply(text.strip(), cut):
        escaped = escape(part)
        if len(escaped) <= limit:
            parts.append(escaped)
        else:
            shorter = max(_MIN_CUT, min(cut - 1, cut * limit // len(escaped)))
            parts.extend(split_escaped(part, limit, shorter))
    return parts


def render(replies: Sequence[str], choices: Sequence[Choice] = ()) -> list[SlackPost]:
    """One message for the turn (several only past Slack's 50 blocks): a section per reply
    (long ones split at 3,000 characters, code fences kept whole), then the choices as buttons."""
    sections = [_section(part) for reply in replies for part in split_escaped(reply, SECTION_CHARS)]
    actions = _actions(choices)
    blocks: list[dict[str, Any]] = [*sections, *actions]
    if not blocks:
        return []
    messages = []
    for start in range(0, len(blocks), BLOCKS_PER_MESSAGE):
        chunk = tuple(blocks[start : start + BLOCKS_PER_MESSAGE])
        messages.append(SlackPost(text=_fallback(chunk), blocks=chunk))
    return messages


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _actions(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    buttons = [
        {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{n}",
            "text": {"type": "plain_text", "text": _label(choice.label), "emoji": True},
            "value": choice.value[:BUTTON_VALUE_CHARS],
        }
        for n, choice in enumerate(choices, 1)
    ]
    return [
        {"type": "actions", "elements": buttons[start : start + BUTTONS_PER_BLOCK]}
        for start in range(0, len(buttons), BUTTONS_PER_BLOCK)
    ]


def _label(label: str) -> str:
    # plain_text is not mrkdwn: no escaping, only the length limit.
    return label if len(label) <= BUTTON_LABEL_CHARS else label[: BUTTON_LABEL_CHARS - 1] + "…"


def _fallback(blocks: Sequence[dict[str, Any]]) -> str:
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    return "\n\n".join(texts) or "Choose one:"
