"""Twilio's numeric form fields, read strictly: ASCII digits in a sane range, or a 400 with why.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses, and `int()` refuses more than
4300 digits: both used to end in an HTTP 500. Every numeric field Twilio posts is checked here,
including the ones the bot does not use, so a forged or garbled form never reaches a handler.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from bot.errors import MalformedRequestError

_WHOLE = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,20})?")

# Inbound message fields: name -> (smallest, largest). Twilio sends at most 10 media per message;
# the bounds are looser than that so a change on Twilio's side does not drop messages.
COUNTS: Mapping[str, tuple[int, int]] = {
    "NumMedia": (0, 100),
    "NumSegments": (0, 100),
    "ReferralNumMedia": (0, 100),
}
COORDINATES: Mapping[str, float] = {"Latitude": 90.0, "Longitude": 180.0}
ERROR_CODE = "ErrorCode"  # status callbacks: a Twilio error number such as 63016


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:20] + "…")


def whole(form: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    """The field as an int, None when absent or empty; MalformedRequestError otherwise."""
    raw = form.get(name) or ""
    if not raw:
        return None
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        raise MalformedRequestError(
            f"{name} must be a whole number from {low} to {high}, got {_shown(raw)}"
        )
    return int(raw)


def coordinate(form: Mapping[str, str], name: str, limit: float) -> float | None:
    """A latitude or longitude in degrees, None when absent or empty."""
    raw = form.get(name) or ""
    if not raw:
        return None
    value = float(raw) if _DECIMAL.fullmatch(raw) else math.nan
    if not -limit <= value <= limit:
        raise MalformedRequestError(
            f"{name} must be a decimal number from {-limit:g} to {limit:g}, got {_shown(raw)}"
        )
    return value


def check_inbound_numbers(form: Mapping[str, str]) -> int:
    """Check every numeric field of an inbound message; the number of media attached."""
    counts = {name: whole(form, name, *bounds) for name, bounds in COUNTS.items()}
    for name, limit in COORDINATES.items():
        coordinate(form, name, limit)
    return counts["NumMedia"] or 0


def error_code(form: Mapping[str, str]) -> str | None:
    """A status callback's ErrorCode, checked, as Twilio wrote it (None when there is none)."""
    code = whole(form, ERROR_CODE, 0, 999_999)
    return None if code is None else str(code)
