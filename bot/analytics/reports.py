"""`Reports`: the `Analytics` of bot/analytics/model.py, built from a store's `Source`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bot.analytics import buckets
from bot.analytics.model import (
    DAY,
    MAX_TURNS,
    ChannelTotals,
    ConversationFilter,
    ConversationPage,
    ConversationSummary,
    DayStats,
    Facets,
    Funnel,
    Latency,
    Overview,
    QueryStats,
    RepoSearches,
    SearchStats,
    StateFunnel,
    TextCount,
    Transition,
    TurnRow,
    WeekUsers,
    Window,
)
from bot.analytics.source import Move, QueryTotals, RunFilter, Source, Traffic

TOP_TEXTS = 5  # misunderstood texts shown per state


def iso_day(day: int) -> str:
    return dt.datetime.fromtimestamp(day * DAY, dt.UTC).date().isoformat()


def money(value: float) -> float:
    # Sums of the same costs in another order differ in the last bits: not a different figure.
    return round(value, 6)


class Reports:
    """Answers the dashboard's questions (the `Analytics` protocol) from ``source``."""

    def __init__(self, source: Source) -> None:
        self._source = source

    async def overview(self, window: Window, *, channel: str | None = None) -> Overview:
        src, hours, days = self._source, window.hours, window.days
        traffic = await src.traffic(hours, channel)
        per_day = {(d, c): n for d, c, n in await src.users_per_day(days, channel)}
        weeks = await src.users_per_week(((days[0] + 3) // 7, (days[1] + 3) // 7), channel)
        limited = dict(await src.senders(days, channel, "rate_limited"))
        latency: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for name, bucket, turns in await src.latency(days, channel):
            latency[name].append((bucket, turns))
            latency[""].append((bucket, turns))
        rows = {(t.day, t.channel): t for t in traffic}
        for day, name in per_day:
            rows.setdefault((day, name), Traffic(day, name, 0, 0, 0, 0.0))
        names = sorted({name for _, name in rows} | set(latency) - {""})

        def totals(name: str, of: list[Traffic]) -> ChannelTotals:
            return ChannelTotals(
                channel=name,
                messages=sum(t.messages for t in of),
                errors=sum(t.errors for t in of),
                rate_limited=sum(t.rate_limited for t in of),
                rate_limited_senders=limited.get(name, 0),
                cost_usd=money(sum(t.cost_usd for t in of)),
                latency=_latency(latency.get(name, [])),
            )

        return Overview(
            window=window,
            days=tuple(
                DayStats(
                    iso_day(t.day),
                    t.channel,
                    t.messages,
                    per_day.get((t.day, t.channel), 0),
                    t.errors,
                    t.rate_limited,
                    money(t.cost_usd),
                )
                for _, t in sorted(rows.items())
            ),
            weeks=tuple(
                WeekUsers(iso_day(week * 7 - 3), name, users) for week, name, users in sorted(weeks)
            ),
            channels=tuple(
                totals(name, [t for t in rows.values() if t.channel == name]) for name in names
            ),
            total=totals("", list(rows.values())),
            refused_senders=await src.refused(*window.span),
        )

    async def funnel(self, window: Window, *, channel: str | None = None) -> Funnel:
        src = self._source
        moves = await src.moves(window.days, channel)
        stopped = dict(await src.stopped(window.days, channel))
        texts: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for state, text, times in await src.misunderstood(*window.span, channel):
            texts[state].append((text, times))
        states = sorted({m.state for m in moves} | {m.state_before for m in moves} - {""})
        return Funnel(window, tuple(_state(s, moves, stopped, texts) for s in states if s))

    async def searches(
        self, window: Window, *, repo: str | None = None, limit: int = 20
    ) -> SearchStats:
        src, days = self._source, window.days
        limit = max(1, min(limit, 200))
        groups = sorted(await src.queries(days, repo), key=lambda q: (q.repo, q.query))
        top, empty, slow = (
            tuple(_query(q) for q in sorted(of, key=rank, reverse=True)[:limit])
            for of, rank in (
                (groups, lambda q: q.searches),
                ([q for q in groups if q.no_result], lambda q: q.no_result),
                (groups, lambda q: q.max_ms),
            )
        )
        times: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for name, bucket, count in await src.search_latency(days, repo):
            times[name].append((bucket, count))
        repos = tuple(
            RepoSearches(name, count, none, buckets.percentile(times.get(name, []), 0.95))
            for name, count, none in sorted(await src.repo_searches(days, repo))
        )
        return SearchStats(window, top, empty, slow, repos)

    async def conversations(
        self, window: Window, filters: ConversationFilter | None = None
    ) -> ConversationPage:
        filters = filters or ConversationFilter()
        since, until = window.span
        where = RunFilter(since, until, filters.channel, filters.last_state, filters.outcome)
        runs, total = await self._source.runs(where, filters.limit, filters.offset)
        items = tuple(
            ConversationSummary.of(
                r.key, r.user_id, r.channel, r.started, r.last_at, r.last_state, r.outcome, r.turns
            )
            for r in runs
        )
        return ConversationPage(items, total, filters.offset, filters.limit)

    async def transcript(self, key: int) -> tuple[TurnRow, ...]:
        if not 0 < key < 2**63:  # no such key; a database integer could not even hold it
            return ()
        return tuple(
            TurnRow.of(
                at=t.at,
                user_id=t.user_id,
                text=t.text,
                reply=t.reply,
                intent=t.intent,
                score=t.score,
                state_before=t.state_before,
                state_after=t.state,
                actions=t.actions,
                latency_ms=t.latency_ms,
                outcome=t.outcome,
                cost_usd=money(t.cost_usd),
            )
            for t in await self._source.turns(key, MAX_TURNS)
        )

    async def facets(self, window: Window) -> Facets:
        channels, states, outcomes, repos = await self._source.facets(window.hours, window.days)
        return Facets(tuple(channels), tuple(states), tuple(outcomes), tuple(repos))


def _latency(counts: list[tuple[int, int]]) -> Latency:
    return Latency(
        turns=sum(n for _, n in counts),
        p50_ms=buckets.percentile(counts, 0.50),
        p95_ms=buckets.percentile(counts, 0.95),
    )


def _query(q: QueryTotals) -> QueryStats:
    avg = q.total_ms / q.searches if q.searches else 0.0
    return QueryStats.of(q.query, q.repo, q.searches, q.no_result, avg, q.max_ms)


def _state(
    state: str,
    moves: list[Move],
    stopped: dict[str, int],
    texts: dict[str, list[tuple[str, int]]],
) -> StateFunnel:
    here = [m for m in moves if m.state_before == state and m.outcome != "timeout"]
    onward: dict[str, int] = defaultdict(int)
    for m in moves:
        if m.state_before == state and m.state != state:
            onward[m.state] += m.turns
    ranked = sorted(texts.get(state, []), key=lambda t: (-t[1], t[0]))[:TOP_TEXTS]
    return StateFunnel(
        state=state,
        entered=sum(m.turns for m in moves if m.state == state and m.state_before != state),
        turns=sum(m.turns for m in here),
        next=tuple(
            Transition(to, n) for to, n in sorted(onward.items(), key=lambda i: (-i[1], i[0]))
        ),
        stopped=stopped.get(state, 0),
        not_understood=sum(m.turns for m in here if m.outcome == "not_understood"),
        clarified=sum(m.turns for m in here if m.outcome == "clarify"),
        misunderstood=tuple(TextCount.of(text, n) for text, n in ranked),
    )
