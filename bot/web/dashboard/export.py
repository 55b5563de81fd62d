"""GET /dashboard/export/{name}.csv: each dashboard table as CSV, for the chosen window.

Only the names in `TABLES` exist (anything else is a 404, so no path can be smuggled in). A cell
that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote; the texts
are masked already (bot/analytics/masking.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiohttp import web

from bot.analytics.model import MAX_PAGE, Analytics, ConversationFilter
from bot.web.dashboard.query import View
from bot.web.dashboard.render import when

MAX_CONVERSATIONS = 10_000
Rows = tuple[Sequence[str], Iterable[Sequence[object]]]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return "" if value is None else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


async def _days(a: Analytics, v: View) -> Rows:
    o = await a.overview(v.window, channel=v.channel)
    header = ("day", "channel", "messages", "active_users", "errors", "rate_limited", "cost_usd")
    rows = [
        (d.day, d.channel, d.messages, d.active_users, d.errors, d.rate_limited, d.cost_usd)
        for d in o.days
    ]
    return header, rows


async def _weeks(a: Analytics, v: View) -> Rows:
    o = await a.overview(v.window, channel=v.channel)
    return ("week", "channel", "active_users"), [
        (w.week, w.channel, w.active_users) for w in o.weeks
    ]


async def _channels(a: Analytics, v: View) -> Rows:
    o = await a.overview(v.window, channel=v.channel)
    header = (
        "channel",
        "messages",
        "errors",
        "rate_limited",
        "rate_limited_senders",
        "cost_usd",
        "latency_p50_ms",
        "latency_p95_ms",
    )
    rows = [
        (
            c.channel or "all",
            c.messages,
            c.errors,
            c.rate_limited,
            c.rate_limited_senders,
            c.cost_usd,
            c.latency.p50_ms,
            c.latency.p95_ms,
        )
        for c in (*o.channels, o.total)
    ]
    return header, rows


async def _funnel(a: Analytics, v: View) -> Rows:
    f = await a.funnel(v.window, channel=v.channel)
    header = (
        "state",
        "entered",
        "turns",
        "stopped",
        "not_understood",
        "clarified",
        "next",
        "misunderstood",
    )
    rows = [
        (
            s.state,
            s.entered,
            s.turns,
            s.stopped,
            s.not_understood,
            s.clarified,
            "; ".join(f"{t.to_state}={t.turns}" for t in s.next),
            " | ".join(f"{m.text} ({m.count})" for m in s.misunderstood),
        )
        for s in f.states
    ]
    return header, rows


def _queries(which: str) -> Callable[[Analytics, View], Awaitable[Rows]]:
    async def table(a: Analytics, v: View) -> Rows:
        s = await a.searches(v.window, repo=v.repo, limit=MAX_PAGE)
        header = ("query", "repo", "searches", "no_result", "avg_ms", "max_ms")
        rows = [
            (q.query, q.repo, q.searches, q.no_result, q.avg_ms, q.max_ms)
            for q in getattr(s, which)
        ]
        return header, rows

    return table


async def _repos(a: Analytics, v: View) -> Rows:
    s = await a.searches(v.window, repo=v.repo)
    return ("repo", "searches", "no_result", "p95_ms"), [
        (r.repo, r.searches, r.no_result, r.p95_ms) for r in s.repos
    ]


async def _conversations(a: Analytics, v: View) -> Rows:
    header = ("user", "channel", "started", "last_at", "last_state", "outcome", "turns")
    rows: list[Sequence[object]] = []
    while len(rows) < MAX_CONVERSATIONS:
        filters = ConversationFilter(
            channel=v.channel,
            last_state=v.last_state,
            outcome=v.outcome,
            limit=MAX_PAGE,
            offset=len(rows),
        )
        page = await a.conversations(v.window, filters)
        rows += [
            (c.user, c.channel, when(c.started), when(c.last_at), c.last_state, c.outcome, c.turns)
            for c in page.items
        ]
        if len(page.items) < MAX_PAGE:
            break
    return header, rows


TABLES: dict[str, Callable[[Analytics, View], Awaitable[Rows]]] = {
    "days": _days,
    "weeks": _weeks,
    "channels": _channels,
    "funnel": _funnel,
    "queries": _queries("top"),
    "no_result": _queries("no_result"),
    "slowest": _queries("slowest"),
    "repos": _repos,
    "conversations": _conversations,
}


def table_named(name: str) -> Callable[[Analytics, View], Awaitable[Rows]]:
    table = TABLES.get(name)
    if table is None:
        raise web.HTTPNotFound(text=f"No table is called {name[:40]!r}; see the Export page.")
    return table


async def csv_response(analytics: Analytics, name: str, view: View) -> web.Response:
    header, rows = await table_named(name)(analytics, view)
    filename = f"codechat-{name}-{view.since_day}-{view.until_day}.csv"
    return web.Response(
        text=to_csv(header, rows),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
