"""What the analytics dashboard shows, and the interface the stores answer it through.

Every page reads one method of `Analytics` (a store's ``analytics``; memory, SQLite and
PostgreSQL give the same figures for the same rows, checked by tests/store/test_analytics.py):

- ``overview(window, channel=None) -> Overview``: per UTC day and channel the messages, active
  users, errors, rate-limited messages and LLM cost; active users per ISO week; reply latency
  p50/p95 and totals per channel and overall; senders rate limited and refused.
- ``funnel(window, channel=None) -> Funnel``: per state, the turns that entered it, the states
  they went to next, the conversations that stopped there, the not-understood and
  clarifying-question rates and the most frequent misunderstood texts (masked).
- ``searches(window, repo=None, limit=20) -> SearchStats``: top queries, queries with no
  result, slowest queries, and totals per repository.
- ``conversations(window, filters) -> ConversationPage``: conversations whose last turn is in
  the window, newest first, filtered by channel, last state and outcome, ``limit``/``offset`` paged.
- ``transcript(key) -> tuple[TurnRow, ...]``: the turns of one conversation, oldest first;
  ``key`` is `ConversationSummary.key`, an opaque number (no phone number goes in a URL).
- ``facets(window) -> Facets``: the channels, states, outcomes and repositories seen, for the
  filters' choices.

A `Window` is [since, until) in epoch seconds; days and weeks are UTC. Figures are kept per
hour (messages, errors, rate-limited messages, cost), per day (everything else) and per week
(active users per week): bot/store/analytics_schema.py. A window counts every hour, day or week
it touches; `Window.span` is the window widened to whole hours (conversations, misunderstood
texts, refusals). Active users are per day and per week only: a distinct count over any window
would mean reading every sender of it.

Sender ids and phone numbers inside texts are masked in bot/analytics/masking.py as the rows
are built: every field below that holds a user or a text holds it masked already.

Turn outcomes (`TurnRow.outcome`, a conversation's outcome is its last turn's): "ok";
"not_understood" (the fallback message was said); "clarify" (a clarifying question was asked);
"not_here" (a command that does not apply in that state); "error" (the turn failed);
"timeout" (a state's timeout fired: a turn without a message, not counted as one);
"empty" / "too_long" (nothing to read, or too much). A conversation starts with a sender's
first turn and again when they come back after the inactivity timeout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from bot.analytics.masking import mask_text, mask_user

HOUR = 3_600.0
DAY = 86_400.0
OUTCOMES = ("ok", "not_understood", "clarify", "not_here", "error", "timeout", "empty", "too_long")
MAX_PAGE = 500
MAX_TURNS = 1000  # of one transcript


class AnalyticsError(ValueError):
    """A window, filter or key the dashboard cannot use; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Window:
    """[since, until) in epoch seconds."""

    since: float
    until: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.since) and math.isfinite(self.until)):
            raise AnalyticsError("a time window needs two finite times")
        if self.until <= self.since:
            raise AnalyticsError("a time window must end after it starts")
        if self.until - self.since > 400 * DAY:
            raise AnalyticsError("a time window is at most 400 days long")

    @classmethod
    def last(cls, seconds: float, now: float) -> Window:
        """The ``seconds`` before ``now``: the last 24 h is ``Window.last(86400, now)``."""
        return cls(now - seconds, now)

    @property
    def hours(self) -> tuple[int, int]:
        """The first and last hour (epoch hours) the window touches."""
        return int(self.since // HOUR), math.ceil(self.until / HOUR) - 1

    @property
    def days(self) -> tuple[int, int]:
        """The first and last UTC day (epoch days) the window touches."""
        return int(self.since // DAY), math.ceil(self.until / DAY) - 1

    @property
    def span(self) -> tuple[float, float]:
        """[since, until) widened to whole hours: what every figure counts."""
        first, last = self.hours
        return first * HOUR, (last + 1) * HOUR


@dataclass(frozen=True, slots=True)
class Latency:
    turns: int  # turns with a measured latency
    p50_ms: float | None  # None when there were none
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class DayStats:
    day: str  # "2026-11-30", UTC
    channel: str
    messages: int  # turns answered (rate-limited and admin messages not counted)
    active_users: int
    errors: int  # turns that failed and said the error message
    rate_limited: int  # messages refused by the rate limiter
    cost_usd: float  # spent on language models


@dataclass(frozen=True, slots=True)
class WeekUsers:
    week: str  # the Monday that starts the ISO week, "2026-11-30"
    channel: str
    active_users: int  # over the whole week (of each week the window touches)


@dataclass(frozen=True, slots=True)
class ChannelTotals:
    channel: str  # "" for all channels together
    messages: int
    errors: int
    rate_limited: int
    rate_limited_senders: int
    cost_usd: float
    latency: Latency


@dataclass(frozen=True, slots=True)
class Overview:
    window: Window
    days: tuple[DayStats, ...]  # by day, then channel
    weeks: tuple[WeekUsers, ...]  # by week, then channel
    channels: tuple[ChannelTotals, ...]  # by channel name
    total: ChannelTotals  # every channel together (channel "")
    refused_senders: int  # outsiders last refused within the window (any channel)


@dataclass(frozen=True, slots=True)
class TextCount:
    text: str  # masked
    count: int

    @classmethod
    def of(cls, text: str, count: int) -> TextCount:
        return cls(mask_text(text), count)


@dataclass(frozen=True, slots=True)
class Transition:
    to_state: str
    turns: int


@dataclass(frozen=True, slots=True)
class StateFunnel:
    state: str  # "flow.state"
    entered: int  # turns that came into it from another state (or started there)
    turns: int  # turns answered while in it
    next: tuple[Transition, ...]  # where those turns went, most first (not staying put)
    stopped: int  # conversations whose last turn, on the window's days, left them here
    not_understood: int
    clarified: int  # clarifying questions asked
    misunderstood: tuple[TextCount, ...]  # most frequent of the latest 5,000 such texts, masked

    @property
    def not_understood_rate(self) -> float:
        return self.not_understood / self.turns if self.turns else 0.0

    @property
    def clarify_rate(self) -> float:
        return self.clarified / self.turns if self.turns else 0.0


@dataclass(frozen=True, slots=True)
class Funnel:
    window: Window
    states: tuple[StateFunnel, ...]  # by state name


@dataclass(frozen=True, slots=True)
class QueryStats:
    query: str  # masked, as searched (spaces collapsed)
    repo: str
    searches: int
    no_result: int  # of those, how many found nothing
    avg_ms: float
    max_ms: float

    @classmethod
    def of(
        cls, query: str, repo: str, searches: int, no_result: int, avg_ms: float, max_ms: float
    ) -> QueryStats:
        return cls(mask_text(query), repo, searches, no_result, round(avg_ms, 1), max_ms)


@dataclass(frozen=True, slots=True)
class RepoSearches:
    repo: str
    searches: int
    no_result: int
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class SearchStats:
    window: Window
    top: tuple[QueryStats, ...]  # most searched first
    no_result: tuple[QueryStats, ...]  # most often empty first
    slowest: tuple[QueryStats, ...]  # by their slowest run
    repos: tuple[RepoSearches, ...]  # by repository name


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    channel: str | None = None
    last_state: str | None = None
    outcome: str | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise AnalyticsError(f"a page holds 1 to {MAX_PAGE} conversations")
        if self.offset < 0:
            raise AnalyticsError("a page offset cannot be negative")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise AnalyticsError(f"outcome must be one of {', '.join(OUTCOMES)}")


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    key: int  # for transcript(); opaque
    user: str  # masked: "…4567"
    channel: str
    started: float
    last_at: float
    last_state: str
    outcome: str
    turns: int

    @classmethod
    def of(
        cls,
        key: int,
        user_id: str,
        channel: str,
        started: float,
        last_at: float,
        last_state: str,
        outcome: str,
        turns: int,
    ) -> ConversationSummary:
        return cls(key, mask_user(user_id), channel, started, last_at, last_state, outcome, turns)


@dataclass(frozen=True, slots=True)
class ConversationPage:
    items: tuple[ConversationSummary, ...]
    total: int  # matching the filters, over every page
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class TurnRow:
    at: float
    user: str  # masked
    text: str  # masked
    reply: str  # masked
    intent: str | None
    score: float | None
    state_before: str
    state_after: str
    actions: tuple[str, ...]
    latency_ms: float | None
    outcome: str
    cost_usd: float

    @classmethod
    def of(
        cls,
        *,
        at: float,
        user_id: str,
        text: str,
        reply: str,
        intent: str | None,
        score: float | None,
        state_before: str,
        state_after: str,
        actions: tuple[str, ...],
        latency_ms: float | None,
        outcome: str,
        cost_usd: float,
    ) -> TurnRow:
        return cls(
            at,
            mask_user(user_id),
            mask_text(text),
            mask_text(reply),
            intent,
            score,
            state_before,
            state_after,
            actions,
            latency_ms,
            outcome,
            cost_usd,
        )


@dataclass(frozen=True, slots=True)
class Facets:
    channels: tuple[str, ...]
    states: tuple[str, ...]
    outcomes: tuple[str, ...]
    repos: tuple[str, ...]


class Analytics(Protocol):
    """The dashboard's questions, answered by a store (``store.analytics``)."""

    async def overview(self, window: Window, *, channel: str | None = None) -> Overview: ...

    async def funnel(self, window: Window, *, channel: str | None = None) -> Funnel: ...

    async def searches(
        self, window: Window, *, repo: str | None = None, limit: int = 20
    ) -> SearchStats: ...

    async def conversations(
        self, window: Window, filters: ConversationFilter | None = None
    ) -> ConversationPage: ...

    async def transcript(self, key: int) -> tuple[TurnRow, ...]:
        """At most MAX_TURNS turns, oldest first; empty when there is no such conversation
        (purged, or a made-up key)."""
        ...

    async def facets(self, window: Window) -> Facets: ...
