"""Page rendering: the package's Jinja templates (autoescaped) and the headers every page gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
from aiohttp import web

ROOT = "/dashboard"
PAGES = (
    ("/", "Overview"),
    ("/funnel", "Flow funnel"),
    ("/search", "Search"),
    ("/conversations", "Conversations"),
    ("/export", "Export"),
)
PRESETS = (("24h", "Last 24 h"), ("7d", "7 days"), ("30d", "30 days"))
# No script at all, styles and images from the dashboard itself only; forms post back to it.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M")


def secure_headers(response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")


class Renderer:
    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web.dashboard", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["when"] = when

    def page(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        values = {"root": ROOT, "pages": PAGES, "presets": PRESETS, "user": None, "view": None}
        html = self._env.get_template(template).render(values | context)
        return web.Response(text=html, status=status, content_type="text/html")
