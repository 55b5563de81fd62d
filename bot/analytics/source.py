"""The primitive questions a store answers for the dashboard; bot/analytics/reports.py turns
their answers into the pages of bot/analytics/model.py.

Each store answers them from its own data (the SQL stores from the running totals of
bot/store/analytics_schema.py, the memory store from its rows) by the same rules, so every
store gives the same figures. Hours and days are epoch hours and days (``int(t // 3600)``);
ranges are inclusive; ``channel``/``repo`` None means all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Traffic:
    day: int
    channel: str
    messages: int
    errors: int
    rate_limited: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Move:
    """Turns that went from one state to another (or stayed) with an outcome."""

    state_before: str
    state: str
    outcome: str
    turns: int


@dataclass(frozen=True, slots=True)
class QueryTotals:
    repo: str
    query: str  # not masked yet
    searches: int
    no_result: int
    total_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class Run:
    key: int
    user_id: str  # not masked yet
    channel: str
    started: float
    last_at: float
    last_state: str
    outcome: str
    turns: int


@dataclass(frozen=True, slots=True)
class RunFilter:
    since: float
    until: float
    channel: str | None
    last_state: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Turn:
    at: float
    user_id: str
    text: str
    reply: str
    intent: str | None
    score: float | None
    state_before: str
    state: str
    actions: tuple[str, ...]
    latency_ms: float | None
    outcome: str
    cost_usd: float


# The misunderstood texts of a funnel are the most frequent among this many latest ones.
LATEST_MISUNDERSTOOD = 5000


class Source(Protocol):
    async def traffic(self, hours: tuple[int, int], channel: str | None) -> list[Traffic]:
        """Per day (of the hours) and channel."""
        ...

    async def users_per_day(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        """(day, channel, active users)."""
        ...

    async def users_per_week(
        self, weeks: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        """(ISO week: (day + 3) // 7, channel, active users that week), weeks in range."""
        ...

    async def senders(
        self, days: tuple[int, int], channel: str | None, kind: str
    ) -> list[tuple[str, int]]:
        """(channel, distinct senders) of ``kind`` ("active" | "rate_limited"), and ("", n)
        for every channel together (a sender on two channels counts once)."""
        ...

    async def latency(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[str, int, int]]:
        """(channel, bucket, turns) of reply latency (bot/analytics/buckets.py)."""
        ...

    async def refused(self, since: float, until: float) -> int:
        """Outsiders whose last refusal is in [since, until)."""
        ...

    async def moves(self, days: tuple[int, int], channel: str | None) -> list[Move]: ...

    async def stopped(self, days: tuple[int, int], channel: str | None) -> list[tuple[str, int]]:
        """(last state, conversations) of those whose last turn is on those days."""
        ...

    async def misunderstood(
        self, since: float, until: float, channel: str | None
    ) -> list[tuple[str, str, int]]:
        """(state, text, times) of the LATEST_MISUNDERSTOOD latest turns not understood in
        [since, until)."""
        ...

    async def queries(self, days: tuple[int, int], repo: str | None) -> list[QueryTotals]:
        """Per (repo, query) searched on those days, in any order."""
        ...

    async def repo_searches(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        """(repo, searches, without result)."""
        ...

    async def search_latency(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        """(repo, bucket, searches)."""
        ...

    async def runs(self, where: RunFilter, limit: int, offset: int) -> tuple[list[Run], int]:
        """Conversations whose last turn is in [since, until), newest first, and how many."""
        ...

    async def turns(self, key: int, limit: int) -> list[Turn]: ...

    async def facets(
        self, hours: tuple[int, int], days: tuple[int, int]
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        """Sorted channels (of rows in the hours), states, outcomes (of turns on the days) and
        repos (searched on the days)."""
        ...
