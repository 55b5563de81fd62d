"""The dashboard's `Source` for the SQL stores: the running totals of analytics_schema.py read
with the same SQL on SQLite and PostgreSQL (``?`` placeholders; the PostgreSQL store numbers
them). Each query reads one table through its primary key or an index on the time column.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from bot.analytics.source import (
    LATEST_MISUNDERSTOOD,
    Move,
    QueryTotals,
    Run,
    RunFilter,
    Traffic,
    Turn,
)

Fetch = Callable[[str, Sequence[Any]], Awaitable[list[Sequence[Any]]]]


def _filter(column: str, value: str | None, args: list[Any]) -> str:
    if value is None:
        return ""
    args.append(value)
    return f" AND {column} = ?"


class SqlSource:
    """``fetch(sql, args)`` runs one query on the store's read path; ``meta_text`` is how the
    meta column reads as JSON text."""

    def __init__(self, fetch: Fetch, *, meta_text: str = "meta") -> None:
        self._fetch = fetch
        self._meta = meta_text

    async def traffic(self, hours: tuple[int, int], channel: str | None) -> list[Traffic]:
        args: list[Any] = [*hours]
        found = await self._fetch(
            "SELECT hour / 24 AS day, channel, SUM(messages), SUM(errors), SUM(rate_limited), "
            "SUM(cost_usd) FROM traffic_hourly WHERE hour BETWEEN ? AND ?"
            + _filter("channel", channel, args)
            + " GROUP BY hour / 24, channel",
            args,
        )
        return [Traffic(int(d), c, int(m), int(e), int(r), float(u)) for d, c, m, e, r, u in found]

    async def users_per_day(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT day, channel, users FROM active_daily WHERE day BETWEEN ? AND ?"
            + _filter("channel", channel, args),
            args,
        )
        return [(int(d), str(c), int(n)) for d, c, n in found]

    async def users_per_week(
        self, weeks: tuple[int, int], channel: str | None
    ) -> list[tuple[int, str, int]]:
        args: list[Any] = [*weeks]
        found = await self._fetch(
            "SELECT week, channel, users FROM active_weekly WHERE week BETWEEN ? AND ?"
            + _filter("channel", channel, args),
            args,
        )
        return [(int(w), str(c), int(n)) for w, c, n in found]

    async def senders(
        self, days: tuple[int, int], channel: str | None, kind: str
    ) -> list[tuple[str, int]]:
        args: list[Any] = [kind, *days]
        # One pass over the index in (channel, sender) order; counted here, per channel and
        # over every channel together.
        found = await self._fetch(
            "SELECT DISTINCT channel, phone_number FROM users_daily "
            "WHERE kind = ? AND day BETWEEN ? AND ?" + _filter("channel", channel, args),
            args,
        )
        per: dict[str, int] = {}
        for name, _ in found:
            per[str(name)] = per.get(str(name), 0) + 1
        return [*per.items(), ("", len({str(user) for _, user in found}))]

    async def latency(
        self, days: tuple[int, int], channel: str | None
    ) -> list[tuple[str, int, int]]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT channel, bucket, SUM(turns) FROM latency_daily WHERE day BETWEEN ? AND ?"
            + _filter("channel", channel, args)
            + " GROUP BY channel, bucket",
            args,
        )
        return [(str(c), int(b), int(n)) for c, b, n in found]

    async def refused(self, since: float, until: float) -> int:
        found = await self._fetch(
            "SELECT COUNT(*) FROM access_refusals WHERE refused_at >= ? AND refused_at < ?",
            [since, until],
        )
        return int(found[0][0])

    async def moves(self, days: tuple[int, int], channel: str | None) -> list[Move]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT state_before, state, outcome, SUM(turns) FROM transitions_daily "
            "WHERE day BETWEEN ? AND ?"
            + _filter("channel", channel, args)
            + " GROUP BY state_before, state, outcome",
            args,
        )
        return [Move(str(b), str(s), str(o), int(n)) for b, s, o, n in found]

    async def stopped(self, days: tuple[int, int], channel: str | None) -> list[tuple[str, int]]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT state, SUM(conversations) FROM stops_daily WHERE day BETWEEN ? AND ?"
            + _filter("channel", channel, args)
            + " GROUP BY state HAVING SUM(conversations) > 0",
            args,
        )
        return [(str(s), int(n)) for s, n in found]

    async def misunderstood(
        self, since: float, until: float, channel: str | None
    ) -> list[tuple[str, str, int]]:
        args: list[Any] = [since, until]
        where = "WHERE outcome = 'not_understood' AND timestamp >= ? AND timestamp < ?"
        where += _filter("channel", channel, args)
        found = await self._fetch(
            "SELECT state_before, message, COUNT(*) FROM ("
            f"SELECT state_before, message FROM conversations {where} "
            "ORDER BY timestamp DESC LIMIT ?) AS latest GROUP BY state_before, message",
            [*args, LATEST_MISUNDERSTOOD],
        )
        return [(str(s), str(m), int(n)) for s, m, n in found]

    async def queries(self, days: tuple[int, int], repo: str | None) -> list[QueryTotals]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT repo, query, SUM(searches), SUM(no_result), SUM(total_ms), MAX(max_ms) "
            "FROM searches_daily WHERE day BETWEEN ? AND ?"
            + _filter("repo", repo, args)
            + " GROUP BY repo, query",
            args,
        )
        return [
            QueryTotals(str(r), str(q), int(s), int(n), float(t), float(m))
            for r, q, s, n, t, m in found
        ]

    async def repo_searches(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT repo, SUM(searches), SUM(no_result) FROM searches_daily "
            "WHERE day BETWEEN ? AND ?" + _filter("repo", repo, args) + " GROUP BY repo",
            args,
        )
        return [(str(r), int(s), int(n)) for r, s, n in found]

    async def search_latency(
        self, days: tuple[int, int], repo: str | None
    ) -> list[tuple[str, int, int]]:
        args: list[Any] = [*days]
        found = await self._fetch(
            "SELECT repo, bucket, SUM(searches) FROM search_latency_daily "
            "WHERE day BETWEEN ? AND ?" + _filter("repo", repo, args) + " GROUP BY repo, bucket",
            args,
        )
        return [(str(r), int(b), int(n)) for r, b, n in found]

    async def runs(self, where: RunFilter, limit: int, offset: int) -> tuple[list[Run], int]:
        args: list[Any] = [where.since, where.until]
        clause = (
            "WHERE last_at >= ? AND last_at < ?"
            + _filter("channel", where.channel, args)
            + _filter("last_state", where.last_state, args)
            + _filter("outcome", where.outcome, args)
        )
        found = await self._fetch(
            "SELECT id, phone_number, channel, started, last_at, last_state, outcome, turns "
            f"FROM conversation_runs {clause} ORDER BY last_at DESC, id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        total = await self._fetch(f"SELECT COUNT(*) FROM conversation_runs {clause}", args)
        runs = [
            Run(int(k), str(u), str(c), float(s), float(la), str(ls), str(o), int(t))
            for k, u, c, s, la, ls, o, t in found
        ]
        return runs, int(total[0][0])

    async def turns(self, key: int, limit: int) -> list[Turn]:
        found = await self._fetch(
            "SELECT c.timestamp, c.phone_number, c.message, c.response, c.intent, c.score, "
            f"c.state_before, c.state, c.actions, c.latency_ms, c.outcome, c.{self._meta} "
            "FROM conversation_runs r JOIN conversations c "
            "ON c.phone_number = r.phone_number AND c.started = r.started "
            "WHERE r.id = ? ORDER BY c.timestamp, c.id LIMIT ?",
            [key, limit],
        )
        return [
            Turn(
                at=float(r[0]),
                user_id=str(r[1]),
                text=str(r[2]),
                reply=str(r[3]),
                intent=r[4],
                score=None if r[5] is None else float(r[5]),
                state_before=str(r[6]),
                state=str(r[7]),
                actions=tuple(str(r[8]).split()),
                latency_ms=None if r[9] is None else float(r[9]),
                outcome=str(r[10]),
                cost_usd=cost_of(orjson.loads(r[11])),
            )
            for r in found
        ]

    async def facets(
        self, hours: tuple[int, int], days: tuple[int, int]
    ) -> tuple[list[str], list[str], list[str], list[str]]:
        channels = await self._fetch(
            "SELECT DISTINCT channel FROM traffic_hourly WHERE hour BETWEEN ? AND ?", [*hours]
        )
        moves = await self._fetch(
            "SELECT DISTINCT state_before, state, outcome FROM transitions_daily "
            "WHERE day BETWEEN ? AND ?",
            [*days],
        )
        repos = await self._fetch(
            "SELECT DISTINCT repo FROM searches_daily WHERE day BETWEEN ? AND ?", [*days]
        )
        return (
            sorted({str(r[0]) for r in channels}),
            sorted({str(s) for r in moves for s in r[:2]} - {""}),
            sorted({str(r[2]) for r in moves}),
            sorted({str(r[0]) for r in repos}),
        )


def cost_of(meta: Any) -> float:
    """meta ``llm.cost_usd`` when it is a number, else 0 (what the totals count too)."""
    llm = meta.get("llm") if isinstance(meta, dict) else None
    cost = llm.get("cost_usd") if isinstance(llm, dict) else None
    return float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else 0.0
