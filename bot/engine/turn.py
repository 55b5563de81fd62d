"""What goes into a turn and what comes out of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


@dataclass(frozen=True, slots=True)
class Inbound:
    user_id: str  # e.g. "whatsapp:+15551234567"
    text: str
    message_sid: str | None = None
    profile_name: str = ""
    channel: str = "console"
    received_at: float | None = None


@dataclass(frozen=True, slots=True)
class TurnResult:
    replies: tuple[str, ...]
    state: str
    intent: str | None
    score: float | None
    trace: tuple[str, ...]


def clean_text(text: str) -> str:
    """Drop control and invisible formatting characters; keep emoji, any script, newlines."""
    return _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
