"""What goes into a turn and what comes out of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.access.policy import Viewer
from bot.engine.reply import Choice

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_FULL_WIDTH = str.maketrans({"？": "?", "！": "!"})
# ANSI escape sequences: CSI (colours, cursor), OSC (titles, links) and the two-byte ones.
_TERMINAL_CODES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


@dataclass(frozen=True, slots=True)
class Inbound:
    user_id: str  # the normalised sender key (bot/access/senders.py), e.g. "+15551234567"
    text: str
    message_sid: str | None = None
    profile_name: str = ""
    channel: str = "console"
    received_at: float | None = None
    media: int = 0  # attachments (photos, voice notes...) that came with the text
    viewer: Viewer | None = None  # access as the channel already resolved it (else the engine)


@dataclass(frozen=True, slots=True)
class TurnResult:
    replies: tuple[str, ...]
    state: str
    intent: str | None
    score: float | None
    trace: tuple[str, ...]
    choices: tuple[Choice, ...] = ()  # what the user may tap instead of typing (reply.py)
    duplicate: bool = False  # a retry of a message already answered: nothing to send


DUPLICATE = TurnResult((), "", None, None, ("duplicate: answered already",), duplicate=True)


def clean_text(text: str) -> str:
    """Drop terminal escape sequences (colours pasted from a console), control and invisible
    formatting characters; keep emoji, any script, newlines. A full-width question or
    exclamation mark (Chinese, Japanese) is the ASCII one, which the flows read a question by."""
    text = _TERMINAL_CODES.sub("", text.replace("\r\n", "\n"))
    return _CONTROL.sub("", text).strip().translate(_FULL_WIDTH)
