"""The dashboard's pages: each reads one question from the analytics and renders it."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.analytics.model import Analytics, AnalyticsError, Facets, Overview, Window
from bot.errors import BotError
from bot.flows.model import FlowSet
from bot.web.dashboard.auth import Gate
from bot.web.dashboard.charts import bar_chart, line_chart
from bot.web.dashboard.flowmap import flow_diagram
from bot.web.dashboard.query import QueryError, View, read_view
from bot.web.dashboard.render import Renderer

log = logging.getLogger("bot.web.dashboard")

TOP_N = 10
EXPORTS = (
    ("days", "Overview: per day and channel"),
    ("weeks", "Overview: active users per week"),
    ("channels", "Overview: totals per channel"),
    ("funnel", "Flow funnel: per state"),
    ("queries", "Search: top queries"),
    ("no_result", "Search: queries with no results"),
    ("slowest", "Search: slowest queries"),
    ("repos", "Search: per repository"),
    ("conversations", "Conversations (up to 10,000, newest first)"),
)


def days_of(window: Window) -> list[str]:
    """Every UTC day the window touches, oldest first."""
    first = dt.datetime.fromtimestamp(window.since, dt.UTC).date()
    last = dt.datetime.fromtimestamp(window.until - 1, dt.UTC).date()
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def peak_daily_users(o: Overview) -> dict[str, int]:
    """Per channel, and for all of them ("") the busiest day's active users. (A distinct count
    over the whole window is not kept: bot/analytics/model.py.) A sender active on two channels
    the same day counts on each."""
    by_day: dict[str, int] = {}
    peak: dict[str, int] = {"": 0}
    for d in o.days:
        peak[d.channel] = max(peak.get(d.channel, 0), d.active_users)
        by_day[d.day] = by_day.get(d.day, 0) + d.active_users
    peak[""] = max(by_day.values(), default=0)
    return peak


def overview_charts(o: Overview) -> dict[str, Markup]:
    days = days_of(o.window)
    channels = sorted({d.channel for d in o.days})

    def per_channel(field: str) -> dict[str, list[float]]:
        series = {c: [0.0] * len(days) for c in channels}
        index = {d: i for i, d in enumerate(days)}
        for row in o.days:
            if row.day in index:
                series[row.channel][index[row.day]] += getattr(row, field)
        return series

    def total(*fields: str) -> dict[str, list[float]]:
        out = {}
        for name in fields:
            out[name.replace("_", " ")] = [
                sum(v) for v in zip(*per_channel(name).values(), strict=True)
            ]
        return out

    weeks = sorted({w.week for w in o.weeks})
    by_week = {c: [0.0] * len(weeks) for c in sorted({w.channel for w in o.weeks})}
    for w in o.weeks:
        by_week[w.channel][weeks.index(w.week)] += w.active_users
    short = [d[5:] for d in days]
    return {
        "messages": line_chart(short, per_channel("messages"), title="Messages per day"),
        "users": line_chart(short, per_channel("active_users"), title="Active users per day"),
        "weeks": line_chart(weeks, by_week, title="Active users per week"),
        "cost": line_chart(short, total("cost_usd"), title="LLM cost per day", unit="$"),
        "errors": line_chart(short, total("errors", "rate_limited"), title="Errors per day"),
    }


class Pages:
    def __init__(
        self,
        *,
        analytics: Callable[[], Analytics],
        flows: Callable[[], FlowSet],
        gate: Gate,
        renderer: Renderer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._analytics = analytics
        self._flows = flows
        self._gate = gate
        self._render = renderer
        self._clock = clock

    def view(self, request: web.Request) -> View:
        return read_view(request.query, raw_length=len(request.query_string), now=self._clock())

    def _page(
        self, request: web.Request, template: str, active: str, **values: Any
    ) -> web.Response:
        context: dict[str, Any] = self._gate.context(request) | values
        return self._render.page(template, active=active, **context)

    async def overview(self, request: web.Request) -> web.Response:
        view = self.view(request)
        analytics = self._analytics()
        o = await analytics.overview(view.window, channel=view.channel)
        # The channel choices are the channels the overview found: one query fewer.
        facets = Facets(tuple(c.channel for c in o.channels), (), (), ())
        charts = overview_charts(o)
        return self._page(
            request,
            "overview.html",
            "/",
            title="Overview",
            view=view,
            o=o,
            facets=facets,
            charts=charts,
            peak=peak_daily_users(o),
        )

    async def funnel(self, request: web.Request) -> web.Response:
        view = self.view(request)
        analytics = self._analytics()
        f = await analytics.funnel(view.window, channel=view.channel)
        facets = await analytics.facets(view.window)
        entered = {s.state: s.entered for s in f.states}
        moves = {(s.state, t.to_state): t.turns for s in f.states for t in s.next}
        stopped = sorted(f.states, key=lambda s: -s.stopped)[:TOP_N]
        missed = sorted(f.states, key=lambda s: -s.not_understood_rate)[:TOP_N]
        charts = {
            "stopped": bar_chart(
                [(s.state, s.stopped) for s in stopped if s.stopped], title="Stopped"
            ),
            "not_understood": bar_chart(
                [
                    (s.state, round(100 * s.not_understood_rate, 1))
                    for s in missed
                    if s.not_understood
                ],
                title="Didn't understand",
                unit="%",
            ),
        }
        diagram = flow_diagram(self._flows(), entered, moves)
        return self._page(
            request,
            "funnel.html",
            "/funnel",
            title="Flow funnel",
            view=view,
            f=f,
            facets=facets,
            charts=charts,
            diagram=diagram,
        )

    async def search(self, request: web.Request) -> web.Response:
        view = self.view(request)
        analytics = self._analytics()
        s = await analytics.searches(view.window, repo=view.repo)
        facets = Facets((), (), (), tuple(r.repo for r in s.repos))
        charts = {
            "top": bar_chart([(q.query, q.searches) for q in s.top[:TOP_N]], title="Top queries"),
            "repos": bar_chart([(r.repo, r.searches) for r in s.repos], title="Per repository"),
        }
        return self._page(
            request,
            "search.html",
            "/search",
            title="Search",
            view=view,
            s=s,
            facets=facets,
            charts=charts,
        )

    async def conversations(self, request: web.Request) -> web.Response:
        view = self.view(request)
        analytics = self._analytics()
        page = await analytics.conversations(view.window, view.filters())
        facets = await analytics.facets(view.window)
        return self._page(
            request,
            "conversations.html",
            "/conversations",
            title="Conversations",
            view=view,
            page=page,
            facets=facets,
        )

    async def transcript(self, request: web.Request) -> web.Response:
        view = self.view(request)
        key = request.match_info["key"]
        turns = await self._analytics().transcript(int(key)) if _small_int(key) else ()
        if not turns:
            return self._page(
                request,
                "error.html",
                "/conversations",
                title="No such conversation",
                status=404,
                message="This conversation does not exist, or was purged "
                "after the retention period.",
            )
        return self._page(
            request,
            "transcript.html",
            "/conversations",
            title="Transcript",
            view=view,
            turns=turns,
        )

    async def export(self, request: web.Request) -> web.Response:
        view = self.view(request)
        return self._page(
            request, "export.html", "/export", title="Export", view=view, tables=EXPORTS
        )

    @web.middleware
    async def problems(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A query the dashboard cannot use is a 400 page saying what to change."""
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except (QueryError, AnalyticsError) as exc:
            return self._page(
                request, "error.html", "", title="Cannot show this", status=400, message=str(exc)
            )
        except BotError as exc:  # the database is unreachable, or refused the query
            log.error("dashboard.store_failed", extra={"fields": {"error": str(exc)}})
            return self._page(
                request,
                "error.html",
                "",
                title="The database did not answer",
                status=503,
                message="The figures could not be read just now; try again in a moment.",
            )


def _small_int(text: str) -> bool:
    return text.isdigit() and len(text) <= 18
