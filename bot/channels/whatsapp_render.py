"""A turn's replies and choices as WhatsApp messages sent through Twilio.

Text is split at ``max_chars`` (1,600: Twilio's limit for one WhatsApp message) as always. With
interactive messages enabled (`twilio.interactive`), up to 3 choices become a
``twilio/quick-reply`` (buttons) and up to 10 a ``twilio/list-picker``: a Content API template
whose body is the variable ``{{1}}``, so one template serves every reply offering the same
choices, and is created once (bot/channels/twilio_content.py). More choices, or interactive
messages off: plain text, where the flows' text already numbers what can be typed. A tap comes
back as ``ButtonPayload`` / ``ListId``: the choice's value (bot/channels/twilio.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.twilio import split_replies
from bot.engine.reply import Choice

QUICK_REPLY = "twilio/quick-reply"
LIST_PICKER = "twilio/list-picker"
MAX_BUTTONS = 3
MAX_ITEMS = 10
BODY_CHARS = 1024  # an interactive message's body
BUTTON_TITLE_CHARS = 20
ITEM_CHARS = 24
ID_CHARS = 200
LIST_BUTTON = "Choose"
NO_BODY = "Choose one:"  # the body when the last reply is too long to carry the choices


@dataclass(frozen=True, slots=True)
class ContentTemplate:
    """What the Content API is asked to create; ``key`` names it by its content."""

    types: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return next(iter(self.types))

    @property
    def key(self) -> str:
        canonical = json.dumps(self.types, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def request(self) -> dict[str, Any]:
        """The Content API's create body (POST /v1/Content)."""
        return {
            "friendly_name": f"codechat_{self.key}",
            "language": "en",
            "variables": {"1": NO_BODY},
            "types": dict(self.types),
        }


@dataclass(frozen=True, slots=True)
class WhatsAppReply:
    parts: tuple[str, ...]  # plain messages, in order
    template: ContentTemplate | None = None  # then one interactive message after the parts
    body: str = ""  # the interactive message's text ({{1}})


def render(
    replies: Sequence[str],
    choices: Sequence[Choice] = (),
    *,
    max_chars: int = 1600,
    interactive: bool = False,
) -> WhatsAppReply:
    parts = split_replies(replies, max_chars)
    template = _template(choices) if interactive else None
    if template is None:
        return WhatsAppReply(tuple(parts))
    body = NO_BODY
    if parts and len(parts[-1]) <= BODY_CHARS:
        body = parts.pop()  # the last words carry the buttons
    return WhatsAppReply(tuple(parts), template, body)


def _template(choices: Sequence[Choice]) -> ContentTemplate | None:
    if not choices or len(choices) > MAX_ITEMS:
        return None
    if len(choices) <= MAX_BUTTONS:
        actions = [
            {"title": _cut(c.label, BUTTON_TITLE_CHARS), "id": c.value[:ID_CHARS]} for c in choices
        ]
        return ContentTemplate({QUICK_REPLY: {"body": "{{1}}", "actions": actions}})
    items = [
        {"item": _cut(c.label, ITEM_CHARS), "id": c.value[:ID_CHARS], "description": ""}
        for c in choices
    ]
    picker = {"body": "{{1}}", "button": LIST_BUTTON, "items": items}
    return ContentTemplate({LIST_PICKER: picker})


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
