"""What a dashboard URL asks for: the time window and the filters, read from its query string.

Everything is checked here, so a page either gets usable values or a `QueryError` whose message
is shown to the operator as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.analytics.model import DAY, OUTCOMES, AnalyticsError, ConversationFilter, Window

PRESETS = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY}
DEFAULT = "7d"
MAX_VALUE = 200  # characters in one filter value
MAX_QUERY = 2000  # characters in the whole query string
PAGE = 50


class QueryError(ValueError):
    """A query string the dashboard cannot use; the message tells the operator what to change."""


@dataclass(frozen=True, slots=True)
class View:
    """The window and the filters of one request, and how to write them back into links."""

    window: Window
    preset: str  # "24h", "7d", "30d" or "range"
    since_day: str
    until_day: str  # inclusive, as typed
    channel: str | None = None
    repo: str | None = None
    last_state: str | None = None
    outcome: str | None = None
    offset: int = 0

    def params(self, **changes: object) -> str:
        values: dict[str, object] = {"window": self.preset}
        if self.preset == "range":
            values |= {"from": self.since_day, "to": self.until_day}
        for name in ("channel", "repo", "last_state", "outcome", "offset"):
            values[name] = getattr(self, name)
        values |= changes
        return urlencode({k: v for k, v in values.items() if v not in (None, "", 0)})

    def filters(self) -> ConversationFilter:
        return ConversationFilter(
            channel=self.channel,
            last_state=self.last_state,
            outcome=self.outcome,
            limit=PAGE,
            offset=self.offset,
        )


def _day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"'{name}' must be a date such as 2026-11-30, got {text[:40]!r}") from None


def _text(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name, "").strip()
    if len(value) > MAX_VALUE:
        raise QueryError(f"'{name}' is longer than {MAX_VALUE} characters")
    return value or None


def read_view(query: Mapping[str, str], *, raw_length: int, now: float) -> View:
    if raw_length > MAX_QUERY:
        raise QueryError(f"the address is too long: at most {MAX_QUERY} characters of filters")
    preset = query.get("window", DEFAULT)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    if preset in PRESETS:
        window = Window.last(PRESETS[preset], now)
        since_day = dt.datetime.fromtimestamp(window.since, dt.UTC).date().isoformat()
        until_day = today.isoformat()
    elif preset == "range":
        start = _day(query.get("from", ""), "from")
        end = _day(query.get("to", "") or today.isoformat(), "to")
        if end < start:
            raise QueryError("'to' is before 'from': the range must end on or after its start")
        since = dt.datetime.combine(start, dt.time(), dt.UTC).timestamp()
        until = dt.datetime.combine(end, dt.time(), dt.UTC).timestamp() + DAY
        try:
            window = Window(since, until)
        except AnalyticsError as exc:
            raise QueryError(str(exc)) from None
        since_day, until_day = start.isoformat(), end.isoformat()
    else:
        raise QueryError("'window' must be 24h, 7d, 30d or range")
    outcome = _text(query, "outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise QueryError(f"'outcome' must be one of {', '.join(OUTCOMES)}")
    offset_text = query.get("offset", "0") or "0"
    if not offset_text.isdigit() or len(offset_text) > 9:
        raise QueryError("'offset' must be a whole number of conversations to skip")
    return View(
        window=window,
        preset=preset,
        since_day=since_day,
        until_day=until_day,
        channel=_text(query, "channel"),
        repo=_text(query, "repo"),
        last_state=_text(query, "last_state"),
        outcome=outcome,
        offset=int(offset_text),
    )
