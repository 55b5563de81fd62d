"""The /dashboard sub-application: built only when a login is configured (otherwise every
/dashboard address is a 404, as if it did not exist)."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources

from aiohttp import web

from bot.analytics.model import Analytics
from bot.config import Settings
from bot.flows.model import FlowSet
from bot.web.dashboard.auth import Gate
from bot.web.dashboard.export import csv_response, table_named
from bot.web.dashboard.pages import Pages
from bot.web.dashboard.passwords import Logins
from bot.web.dashboard.render import ROOT, Renderer, secure_headers
from bot.web.dashboard.sessions import Sessions, signing_key
from bot.web.dashboard.throttle import LoginThrottle

STATIC = {"dashboard.css": "text/css", "icon.svg": "image/svg+xml"}


def dashboard_app(
    settings: Settings,
    *,
    analytics: Callable[[], Analytics],
    flows: Callable[[], FlowSet],
    clock: Callable[[], float] = time.time,
) -> web.Application | None:
    """The dashboard, or None when neither DASHBOARD_PASSWORD nor dashboard.users is set.
    ``analytics`` and ``flows`` are read per request: the store opens after the app is built,
    and the flows may be reloaded."""
    config = settings.dashboard
    if not config.enabled:
        return None
    renderer = Renderer()
    sessions = Sessions(
        key=signing_key(config.password, config.users),
        lifetime_seconds=config.session_hours * 3600,
        clock=clock,
    )
    gate = Gate(
        logins=Logins(password=config.password, users=config.users),
        sessions=sessions,
        throttle=LoginThrottle(
            max_failures=config.max_failures, window_seconds=config.lockout_minutes * 60
        ),
        renderer=renderer,
        secure=settings.production,
        named_users=bool(config.users),
    )
    pages = Pages(analytics=analytics, flows=flows, gate=gate, renderer=renderer, clock=clock)

    async def export(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        table_named(name)  # an unknown name is a 404 before anything is read
        view = pages.view(request)
        return await csv_response(analytics(), name, view)

    app = web.Application(middlewares=[gate.middleware, pages.problems])
    app.on_response_prepare.append(_prepare)
    app.router.add_get("/login", gate.login_page)
    app.router.add_post("/login", gate.login)
    app.router.add_post("/logout", gate.logout)
    app.router.add_get("/", pages.overview)
    app.router.add_get("/funnel", pages.funnel)
    app.router.add_get("/search", pages.search)
    app.router.add_get("/conversations", pages.conversations)
    app.router.add_get("/conversations/{key}", pages.transcript)
    app.router.add_get("/export", pages.export)
    app.router.add_get("/export/{name}.csv", export)
    app.router.add_get("/static/{name}", _static)
    return app


def mount(app: web.Application, dashboard: web.Application | None) -> None:
    """Add the dashboard under /dashboard, /dashboard itself leading to its overview."""
    if dashboard is None:
        return

    async def root(_request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(ROOT + "/")

    app.router.add_get(ROOT, root)
    app.add_subapp(ROOT, dashboard)


async def _prepare(_request: web.Request, response: web.StreamResponse) -> None:
    secure_headers(response)


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = resources.files("bot.web.dashboard").joinpath("static", name).read_bytes()
    response = web.Response(body=body, content_type=STATIC[name])
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
