"""A turn's replies and choices as WhatsApp messages sent through Twilio.

Text is split at ``max_chars`` (1,600: Twilio's limit for one WhatsApp message) as always. With
interactive messages enabled (`twilio.interactive`), up to 3 choices become a
``twilio/quick-reply`` (buttons) and up to 10 a ``twilio/list-picker``: a Content API template
that carries no content, only its shape. Its body, every button title or list item, and every
id are Content API variables (``{{1}}`` the body, then ``{{2}}``/``{{3}}`` the first choice's label
and value, ``{{4}}``/``{{5}}`` the second's...) filled per message through ``ContentVariables``.
Templates are account-wide and permanent, so nothing a user typed and no file, symbol or
repository name may go into one: there is one template per kind and number of choices (10 in
all), created once (bot/channels/twilio_content.py). More choices, or interactive messages off:
plain text, where the flows' text already numbers what can be typed. A tap comes back as
``ButtonPayload`` / ``ListId``: the choice's value (bot/channels/twilio.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    """What the Content API is asked to create: a kind and a number of choices, nothing else."""

    kind: str  # QUICK_REPLY or LIST_PICKER
    size: int  # how many buttons or list items

    @property
    def name(self) -> str:
        """Its friendly name, by which any instance finds it again."""
        return f"codechat_{self.kind.removeprefix('twilio/').replace('-', '_')}_{self.size}"

    @property
    def types(self) -> dict[str, Any]:
        """Every text in it a variable: {{1}} the body, {{2n}} and {{2n+1}} choice n's label
        and value."""
        if self.kind == QUICK_REPLY:
            actions = [
                {"title": _var(_label(n)), "id": _var(_value(n))} for n in range(1, self.size + 1)
            ]
            return {QUICK_REPLY: {"body": _var(1), "actions": actions}}
        items = [
            {"item": _var(_label(n)), "id": _var(_value(n)), "description": ""}
            for n in range(1, self.size + 1)
        ]
        return {LIST_PICKER: {"body": _var(1), "button": LIST_BUTTON, "items": items}}

    def request(self) -> dict[str, Any]:
        """The Content API's create body (POST /v1/Content); the sample values are neutral."""
        samples = {"1": NO_BODY}
        for n in range(1, self.size + 1):
            samples[str(_label(n))] = f"Option {n}"
            samples[str(_value(n))] = str(n)
        return {
            "friendly_name": self.name,
            "language": "en",
            "variables": samples,
            "types": self.types,
        }


@dataclass(frozen=True, slots=True)
class WhatsAppReply:
    parts: tuple[str, ...]  # plain messages, in order
    template: ContentTemplate | None = None  # then one interactive message after the parts
    body: str = ""  # the interactive message's text ({{1}})
    variables: Mapping[str, str] = field(default_factory=dict)  # ContentVariables: all its text


def render(
    replies: Sequence[str],
    choices: Sequence[Choice] = (),
    *,
    max_chars: int = 1600,
    interactive: bool = False,
) -> WhatsAppReply:
    parts = split_replies(replies, max_chars)
    if not interactive or not choices or len(choices) > MAX_ITEMS:
        return WhatsAppReply(tuple(parts))
    buttons = len(choices) <= MAX_BUTTONS
    template = ContentTemplate(QUICK_REPLY if buttons else LIST_PICKER, len(choices))
    body = NO_BODY
    if parts and len(parts[-1]) <= BODY_CHARS:
        body = parts.pop()  # the last words carry the buttons
    label_chars = BUTTON_TITLE_CHARS if buttons else ITEM_CHARS
    variables = {"1": body}
    for n, choice in enumerate(choices, 1):
        variables[str(_label(n))] = _cut(choice.label, label_chars)
        variables[str(_value(n))] = choice.value[:ID_CHARS]
    return WhatsAppReply(tuple(parts), template, body, variables)


def _label(n: int) -> int:
    return 2 * n


def _value(n: int) -> int:
    return 2 * n + 1


def _var(number: int) -> str:
    return "{{" + str(number) + "}}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
