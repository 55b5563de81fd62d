"""One key per person: the form every sender id takes before anything is keyed on it.

Sessions, history, rate limits, dedupe claims and access all use the key this module gives, so
``whatsapp:+1 555 123 4567``, ``+1 (555) 123-4567`` and ``+15551234567`` are the same person.
Channel ids such as ``slack:T1:U2`` or ``console:ana`` are kept as they are, but for Teams ids
(``teams:<tenant>:<object id>``, GUIDs that Microsoft and admins write in either case), which are
lower-cased as the Teams channel keys its senders.
"""

from __future__ import annotations

import re

_WHATSAPP = "whatsapp:"
_SEPARATORS = re.compile(r"[\s().\-/]")
_E164_DIGITS = re.compile(r"[0-9]{6,15}")
_CHANNEL_ID = re.compile(r"[a-z][a-z0-9_-]*:\S+")
_TEAMS = "teams:"


def sender_key(raw: str) -> str:
    """The normalised key of a sender as a channel gives it. Never fails: a value that is
    neither a phone number nor a channel id is kept as it is (stripped)."""
    text = raw.strip()
    if text[: len(_WHATSAPP)].lower() == _WHATSAPP:
        text = text[len(_WHATSAPP) :].strip()
    if text[: len(_TEAMS)].lower() == _TEAMS:
        return text.lower()
    phone = _phone(text)
    return phone if phone is not None else text


def user_key(raw: str) -> str:
    """A user named by a person (config.yaml, an admin's `invite`, the `users` command):
    a phone number in international form or a channel id; ValueError saying what is wrong."""
    text = raw.strip()
    key = sender_key(text)
    if _phone(key) is not None:
        return key
    if key.startswith("+") or (key and _SEPARATORS.sub("", key).isdigit()):
        raise ValueError(
            f"“{text[:40]}” is not a phone number in international form: "
            "write it with + and the country code, like +15551234567"
        )
    if _CHANNEL_ID.fullmatch(key):
        return key
    raise ValueError(
        f"“{text[:40]}” is neither a phone number (+15551234567) nor a channel id "
        "(like slack:T1:U2)"
    )


def _phone(text: str) -> str | None:
    if not text.startswith("+"):
        return None
    digits = _SEPARATORS.sub("", text[1:])
    return "+" + digits if _E164_DIGITS.fullmatch(digits) else None
