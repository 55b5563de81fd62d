"""A turn's reply as Teams activities: markdown text, and choices as an Adaptive Card.

The flows write a light markup (``*bold*``, ``_italic_``, `` `code` ``, fenced code); Teams reads
markdown, where bold is ``**bold**``. Outside code, ``&``, ``<`` and ``>`` are written as
entities so that text from a repository is shown as typed, never read as HTML. Code blocks and
inline code go through as they are.

Choices become ``Action.Submit`` buttons on an Adaptive Card attached to the last message; a
tap sends ``{"choice": value}`` back (bot/channels/teams.py), understood as if typed.
"""

from __future__ import annotations

import re
from typing import Any

from microsoft_agents.activity import Activity, Attachment

from bot.channels.twilio import split_replies
from bot.engine.reply import Choice
from bot.engine.turn import TurnResult

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"  # what Teams renders on desktop, web and mobile
MAX_MESSAGE_CHARS = 15_000  # Teams refuses a payload past 40 KB of UTF-16
MAX_ROW_ACTIONS = 5  # more than this and Teams folds buttons into a menu: list them instead
MAX_LABEL_CHARS = 60
# Fenced blocks first, then inline code: both are kept as written.
_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.S)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def render(result: TurnResult) -> list[Activity]:
    """The activities to send for one turn, in order (none when the turn says nothing)."""
    texts = [to_markdown(part) for part in split_replies(result.replies, MAX_MESSAGE_CHARS)]
    activities = [Activity(type="message", text=text, text_format="markdown") for text in texts]
    if result.choices:
        card = Attachment(content_type=ADAPTIVE_CARD, content=choice_card(result.choices))
        if activities:
            activities[-1] = activities[-1].model_copy(update={"attachments": [card]})
        else:
            activities.append(Activity(type="message", attachments=[card]))
    return activities


def to_markdown(text: str) -> str:
    pieces = _CODE.split(text)
    return "".join(piece if i % 2 else _plain(piece) for i, piece in enumerate(pieces))


def _plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BOLD.sub(r"**\1**", text)


def choice_card(choices: tuple[Choice, ...]) -> dict[str, Any]:
    """An Adaptive Card of one button per choice: a row when they fit, else a list."""
    actions = [_submit(choice) for choice in choices]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
    }
    if len(actions) <= MAX_ROW_ACTIONS:
        card["body"] = []
        card["actions"] = actions
    else:
        card["body"] = [{"type": "ActionSet", "actions": [action]} for action in actions]
    return card


def _submit(choice: Choice) -> dict[str, Any]:
    label = choice.label if len(choice.label) <= MAX_LABEL_CHARS else choice.label[:59] + "…"
    return {"type": "Action.Submit", "title": label, "data": {"choice": choice.value}}
