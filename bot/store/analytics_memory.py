"""The dashboard's `Source` for the memory store: the rules of the SQL stores' running totals
(analytics_schema.py) applied to the rows themselves, so it gives the same figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.analytics import buckets
from bot.analytics.source import (
    LATEST_MISUNDERSTOOD,
    Move,
    QueryTotals,
    Run,
    RunFilter,
    Traffic,
    Turn,
)
from bot.store.analytics_sql import cost_of
from bot.store.base import ConversationRow


def _hour(row: ConversationRow) -> int:
    return int(row.timestamp // 3600)


def _day(row: ConversationRow) -> int:
    return int(row.timestamp // 86400)


def _message(row: ConversationRow) -> bool:
    return row.started is not None and row.outcome != "timeout"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass(frozen=True, slots=True)
class _Search:
    repo: str
    query: str
    no_result: bool
    ms: float


def _search(row: ConversationRow) -> _Search | None:
    found = row.meta.get("search")
    if not isinstance(found, dict) or not isinstance(found.get("query"), str):
        return None
    repo = found.get("repo")
    return _Search(
        repo if isinstance(repo, str) else "",
        found["query"],
        _number(found.get("results")) == 0,
        _number(found.get("ms")),
    )


class MemorySource:
    """``rows()`` are the store's rows in insertion order, ``refusals()`` when each outsider
    was last refused; `note` is told of every row as it is stored (conversation keys)."""

    def __init__(
        self,
        rows: Callable[[], list[ConversationRow]],
        refusals: Callable[[], dict[str, float]],
    ) -> None:
        self._rows = rows
        self._refusals = refusals
        self._keys: dict[tuple[str, float], int] = {}

    def note(self, row: ConversationRow) -> None:
        if row.started is not None:
            self._keys.setdefault((row.user_id, row.started), len(self._keys) + 1)

    def _in(self, span: tuple[int, int], of: Callable[[ConversationRow], int]) -> Iterable[Any]:
        return (r for r in self._rows() if span[0] <= of(r) <= span[1])

    async def traffic(self, hours: tuple[int, int], channel: str | None) -> list[Traffic]:
        totals: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
        for r in self._in(hours, _hour):
            if channel is None or r.channel == channel:
                t = totals[(_hour(r) // 24, r.channel)]
                t[0] += _message(r)
                t[1] += r.outcome == "error"
                t[2] += r.message_type == "rate_limited"
                t[3] += cost_of(r.meta)
        return [
            Traffic(d, c, int(m), int(e), int(rl), u) for (d, c), (m, e, rl, u) in totals.items()
        ]

    def _senders(
        self, days: tuple[int, int], channel: str | None, kind: str
    ) -> set[tuple[int, str, str]]:
        found = set()
        for r in self._in(days, _day):
            if channel is not None and r.channel != channel:
                continue
            if (kind == "active" and _message(r)) or (
                kind == "rate_limited" and r.message_type == kind
            ):
                found.add((_day(r), r.channel, r.user_id))
        return found

    async def users_per_day(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        counts = Counter((d, c) for d, c, _ in self._senders(days, channel, "active"))
        return [(d, c, n) for (d, c), n in counts.items()]

    async def users_per_week(
        self, weeks: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        days = (weeks[0] * 7 - 3, weeks[1] * 7 + 3)
        found = {((d + 3) // 7, c, u) for d, c, u in self._senders(days, channel, "active")}
        counts = Counter((w, c) for w, c, _ in found)
        return [(w, c, n) for (w, c), n in counts.items()]

    async def senders(
        self, days: tuple[int, int], channel: str | None, kind: str
    ) -> list[tuple[str, int]]:
        found = self._senders(days, channel, kind)
        per = Counter(c for c, _ in {(c, u) for _, c, u in found})
        return [*per.items(), ("", len({u for _, _, u in found}))]

    async def latency(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[str, int, int]]:
        counts = Counter(
            (r.channel, buckets.bucket(r.latency_ms))
            for r in self._in(days, _day)
            if r.latency_ms is not None and (channel is None or r.channel == channel)
        )
        return [(c, b, n) for (c, b), n in counts.items()]

    async def refused(self, since: float, until: float) -> int:
        return sum(1 for at in self._refusals().values() if since <= at < until)

    async def moves(self, days: tuple[int, int], channel: str | None) -> list[Move]:
        counts = Counter(
            (r.state_before, r.state, r.outcome)
            for r in self._in(days, _day)
            if r.started is not None and (channel is None or r.channel == channel)
        )
        return [Move(b, s, o, n) for (b, s, o), n in counts.items()]

    def _runs(self) -> list[Run]:
        runs: dict[int, Run] = {}
        for r in self._rows():
            if r.started is None:
                continue
            key = self._keys[(r.user_id, r.started)]
            known = runs.get(key)
            latest = known is None or r.timestamp >= known.last_at
            runs[key] = Run(
                key,
                r.user_id,
                known.channel if known else r.channel,
                r.started,
                r.timestamp if latest or known is None else known.last_at,
                r.state if latest or known is None else known.last_state,
                r.outcome if latest or known is None else known.outcome,
                (known.turns if known else 0) + 1,
            )
        return list(runs.values())

    async def stopped(self, days: tuple[int, int], channel: str | None) -> list[tuple[str, int]]:
        counts = Counter(
            run.last_state
            for run in self._runs()
            if days[0] <= int(run.last_at // 86400) <= days[1]
            and (channel is None or run.channel == channel)
        )
        return list(counts.items())

    async def misunderstood(
        self, since: float, until: float, channel: str | None
    ) -> list[tuple[str, str, int]]:
        found = [
            r
            for r in self._rows()
            if r.outcome == "not_understood"
            and since <= r.timestamp < until
            and (channel is None or r.channel == channel)
        ]
        found.sort(key=lambda r: r.timestamp, reverse=True)
        counts = Counter((r.state_before, r.message) for r in found[:LATEST_MISUNDERSTOOD])
        return [(s, m, n) for (s, m), n in counts.items()]

    def _searches(self, days: tuple[int, int], repo: str | None) -> list[tuple[int, _Search]]:
        found = ((_day(r), _search(r)) for r in self._in(days, _day))
        return [(d, s) for d, s in found if s is not None and (repo is None or s.repo == repo)]

    async def queries(self, days: tuple[int, int], repo: str | None) -> list[QueryTotals]:
        per: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
        for _, s in self._searches(days, repo):
            t = per[(s.repo, s.query)]
            t[0] += 1
            t[1] += s.no_result
            t[2] += s.ms
            t[3] = max(t[3], s.ms)
        return [QueryTotals(r, q, int(n), int(e), t, m) for (r, q), (n, e, t, m) in per.items()]

    async def repo_searches(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _, s in self._searches(days, repo):
            per[s.repo][0] += 1
            per[s.repo][1] += s.no_result
        return [(r, n, e) for r, (n, e) in per.items()]

    async def search_latency(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        counts = Counter((s.repo, buckets.bucket(s.ms)) for _, s in self._searches(days, repo))
        return [(r, b, n) for (r, b), n in counts.items()]

    async def runs(self, where: RunFilter, limit: int, offset: int) -> tuple[list[Run], int]:
        found = [
            run
            for run in self._runs()
            if where.since <= run.last_at < where.until
            and (where.channel is None or run.channel == where.channel)
            and (where.last_state is None or run.last_state == where.last_state)
            and (where.outcome is None or run.outcome == where.outcome)
        ]
        found.sort(key=lambda run: (run.last_at, run.key), reverse=True)
        return found[offset : offset + limit], len(found)

    async def turns(self, key: int, limit: int) -> list[Turn]:
        owner = next((k for k, v in self._keys.items() if v == key), None)
        if owner is None:
            return []
        rows = [r for r in self._rows() if (r.user_id, r.started) == owner]
        rows.sort(key=lambda r: r.timestamp)  # stable: insertion order breaks ties, as id does
        return [
            Turn(
                r.timestamp,
                r.user_id,
                r.message,
                r.response,
                r.intent,
                r.score,
                r.state_before,
                r.state,
                r.actions,
                r.latency_ms,
                r.outcome,
                cost_of(r.meta),
            )
            for r in rows[:limit]
        ]

    async def facets(
        self, hours: tuple[int, int], days: tuple[int, int]
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        turns = [r for r in self._in(days, _day) if r.started is not None]
        return (
            sorted({r.channel for r in self._in(hours, _hour)}),
            sorted({s for r in turns for s in (r.state_before, r.state)} - {""}),
            sorted({r.outcome for r in turns}),
            sorted({s.repo for _, s in self._searches(days, None)}),
        )
