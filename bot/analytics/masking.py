"""The one place sender ids and phone numbers are masked for the dashboard.

Every user id and every text an analytics page can show passes through here before it leaves
the store (bot/analytics/model.py builds its rows with these), so no page, CSV export or log
line built from them can carry a full number: a sender is "…4567", and a phone number written
inside a message is masked the same way.
"""

from __future__ import annotations

import re

MASK = "…"
KEEP = 4  # characters of a sender id left visible

# Six or more digits, possibly with a leading +, spaces, dots, dashes or brackets between them:
# phone numbers as people type them ("+1 (555) 123-4567", "07700 900123"). Shorter runs (a line
# number, a year, a result number) are kept.
_NUMBER = re.compile(r"\+?\d(?:[\s().-]{0,2}\d){5,}")


def mask_user(user_id: str) -> str:
    """A sender id as the dashboard shows it: its last four characters ("…4567"); an id that
    short is shown as the mask alone, since its last four would be all of it."""
    tail = user_id.strip()
    prefix, _, rest = tail.rpartition(":")  # "whatsapp:+1555...", "slack:U123..."
    tail = rest if prefix else tail
    return MASK + tail[-KEEP:] if len(tail) > KEEP else MASK


def mask_text(text: str) -> str:
    """``text`` with every phone-number-like run of digits masked to its last four digits."""
    return _NUMBER.sub(lambda m: mask_user(re.sub(r"\D", "", m.group())), text)
