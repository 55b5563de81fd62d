"""The aiohttp application: `create_app(settings)` wires the endpoints to the shared services.

Shared resources live on the app under typed AppKeys and are opened and closed in cleanup_ctx, in
this order: services (store, flows, search, engine), the Twilio REST sender, the handlers with their
outbox. At shutdown they close in reverse: queued replies first, then the sender, then the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass

from aiohttp import web

from bot.background import background
from bot.channels.twilio import SignatureChecker, split_replies
from bot.channels.twilio_rest import Sender, TwilioSender
from bot.config import Settings
from bot.coord.factory import Coordination
from bot.engine.timeouts import run_sweep
from bot.services import Services
from bot.store.lease import renew_every
from bot.store.maintenance import Maintenance
from bot.web.dashboard.app import dashboard_app, mount
from bot.web.githooks import GitHookHandler
from bot.web.guard import TwilioGuard
from bot.web.health import HealthHandler, MetricsHandler, live
from bot.web.logs import hash_key, user_hash
from bot.web.metrics import Metrics, TimedSearch
from bot.web.operator import OperatorAuth
from bot.web.outbox import Outbox
from bot.web.production import check_production
from bot.web.recovery import Recovery
from bot.web.status import StatusHandler
from bot.web.turns import Turns
from bot.web.webhook import FAILURE_TEXT, WebhookHandler

log = logging.getLogger("bot.web")

# Of the shutdown grace period: in-flight requests get REQUESTS_SHARE (bot/web/run.py), queued
# replies OUTBOX_SHARE, and what is left closes the clients and the database.
REQUESTS_SHARE = 0.3
OUTBOX_SHARE = 0.4

_Ctx = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True, slots=True)
class Handlers:
    webhook: WebhookHandler
    status: StatusHandler
    health: HealthHandler
    metrics: MetricsHandler
    git: GitHookHandler


SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
SENDER = web.AppKey("sender", Sender)
COORD = web.AppKey("coord", Coordination)
OUTBOX = web.AppKey("outbox", Outbox)
HANDLERS = web.AppKey("handlers", Handlers)


@dataclass(frozen=True, slots=True)
class Startup:
    """What start-up turned on, logged with server.ready."""

    env: str
    signatures: bool
    rest_delivery: bool
    public_base_url: str
    dashboard: bool


STARTUP = web.AppKey("startup", Startup)


def check_startup(settings: Settings) -> None:
    """Refuse to run in production without what Twilio security needs; warn loudly elsewhere."""
    check_production(settings)
    if not settings.twilio.auth_token:
        log.warning(
            "webhook.verification_off",
            extra={
                "fields": {
                    "warning": "TWILIO_AUTH_TOKEN is not set: Twilio signatures are NOT checked "
                    "and anyone can post to /webhook. Never run like this on the internet."
                }
            },
        )


def create_app(settings: Settings, *, services: Services | None = None) -> web.Application:
    """The web app; ``services`` given by the caller are used as they are and not closed."""
    check_startup(settings)
    app = web.Application(client_max_size=settings.limits.max_body_bytes)
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_services_ctx(services))
    app.cleanup_ctx.append(_sender_ctx)
    app.cleanup_ctx.append(_handlers_ctx)
    app.cleanup_ctx.append(_timeouts_ctx)
    app.cleanup_ctx.append(_maintenance_ctx)
    app.router.add_post("/webhook", _webhook)
    app.router.add_post("/status", _status)
    app.router.add_get("/health", _health)
    app.router.add_get("/live", live)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/hooks/git", _git_hook)
    dashboard = dashboard_app(
        settings,
        analytics=lambda: app[SERVICES].store.analytics,
        flows=lambda: app[SERVICES].flows.current.flows,
    )
    mount(app, dashboard)
    return app


def _services_ctx(given: Services | None) -> _Ctx:
    """Services and coordination. Per-sender locks and rate limits go through Redis when
    storage.redis_url is set, so several instances keep each sender's turns in order."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, metrics = app[SETTINGS], app[METRICS]
        app[COORD] = coord = Coordination.from_settings(settings)
        services = given
        try:
            if services is None:
                search = TimedSearch.from_settings(settings)
                if isinstance(search, TimedSearch):  # from_settings is typed as the base class
                    search.observe = metrics.search_seconds.observe
                services = await Services.create(settings, search=search, locks=app[COORD].locks)
                if services.llm is not None:
                    services.llm.attach_metrics(metrics.registry)
                if services.cache is not None:
                    services.cache.attach_metrics(metrics.registry)
            app[SERVICES] = services
            yield
        finally:
            if given is None and services is not None:
                await services.close()
            await coord.close()

    return ctx


async def _sender_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not TwilioSender.configured(settings):
        reason = (
            "TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not set"
            if settings.twilio.rest_delivery
            else "twilio.rest_delivery is off"
        )
        log.warning("outbound.disabled", extra={"fields": {"reason": reason}})
        yield
        return
    sender = TwilioSender.from_settings(settings)
    app[SENDER] = sender
    try:
        yield
    finally:
        await sender.close()


async def _handlers_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, services, metrics = app[SETTINGS], app[SERVICES], app[METRICS]
    limits = settings.limits
    store = services.store
    reclaim = settings.storage.reclaim_after_seconds
    outbox = Outbox(
        sender=app.get(SENDER),
        store=store,
        metrics=metrics,
        max_reply_chars=limits.max_reply_chars,
        failure_text=FAILURE_TEXT,
        grace_seconds=min(
            max(limits.outbound_timeout_seconds, limits.reply_budget_seconds),
            settings.server.shutdown_grace_seconds * OUTBOX_SHARE,
        ),
        renew_every=renew_every(reclaim),
    )
    app[OUTBOX] = outbox
    checker = SignatureChecker(
        auth_token=settings.twilio.auth_token, public_base_url=settings.server.public_base_url
    )
    guard = TwilioGuard(checker=checker, max_bytes=limits.max_body_bytes, metrics=metrics)
    operators = OperatorAuth.from_settings(settings)
    turns = Turns(engine=services.engine, store=store, renew_every=renew_every(reclaim))
    key = hash_key(settings)
    recovery = Recovery(
        store=store,
        turns=turns,
        outbox=outbox,
        user_hash=lambda user: user_hash(user, key),
        interval=max(reclaim, 0.5),
    )
    app[HANDLERS] = Handlers(
        webhook=WebhookHandler(
            guard=guard,
            turns=turns,
            store=store,
            limiter=app[COORD].limiter,
            access=services.access,
            outbox=outbox,
            metrics=metrics,
            hash_key=key,
            rate_limit_per_minute=limits.rate_limit_per_minute,
            reply_budget_seconds=limits.reply_budget_seconds,
            max_reply_chars=limits.max_reply_chars,
        ),
        status=StatusHandler(guard=guard, store=store, metrics=metrics),
        git=GitHookHandler(secret=settings.server.git_webhook_secret, sync=services.git),
        health=HealthHandler(
            store=store,
            search=services.search,
            llm=services.llm,
            coordination=app[COORD],
            cache=services.cache,
            queue_depth=outbox.__len__,
            auth=operators,
        ),
        metrics=MetricsHandler(
            metrics=metrics,
            store=store,
            session_timeout_seconds=settings.sessions.timeout_minutes * 60,
            auth=operators,
        ),
    )
    app[STARTUP] = Startup(
        env=settings.env,
        signatures=checker.enabled,
        rest_delivery=outbox.can_send,
        public_base_url=settings.server.public_base_url,
        dashboard=settings.dashboard.enabled,
    )
    try:
        async with recovery.running():
            yield
    finally:
        await outbox.close()


def log_ready(app: web.Application, host: str, port: int) -> None:
    """``server.ready``: called by the runner once the port is listening, not during start-up
    (a port already taken must never be preceded by a line saying the server is ready)."""
    shown = f"[{host}]" if ":" in host else host
    fields = {
        "listening": f"http://{shown}:{port}",
        "host": host,
        "port": port,
        **asdict(app[STARTUP]),
        "loop": type(asyncio.get_running_loop()).__module__,
    }
    log.info("server.ready", extra={"fields": fields})


async def _webhook(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].webhook(request)


async def _status(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].status(request)


async def _health(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].health(request)


async def _git_hook(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].git(request)


async def _metrics(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].metrics(request)


async def _timeouts_ctx(app: web.Application) -> AsyncIterator[None]:
    """Fire due state timeouts in the background and send what the target state says. Without
    outbound credentials nothing could be sent, so timeouts then fire on the user's next message."""
    sender: Sender | None = app.get(SENDER)
    settings = app[SETTINGS]
    number = settings.twilio.whatsapp_number
    if sender is None or not number:
        if sender is not None:
            log.warning(
                "timeouts.not_sent",
                extra={"fields": {"reason": "TWILIO_WHATSAPP_NUMBER is not set"}},
            )
        yield
        return
    max_chars = settings.limits.max_reply_chars

    async def deliver(user: str, replies: Sequence[str]) -> None:
        await sender.send(user, split_replies(replies, max_chars), from_=number)

    sweep = run_sweep(app[SERVICES].engine, deliver, interval=app[SETTINGS].sessions.sweep_seconds)
    async with background(sweep, name="timeouts.sweep"):
        yield


async def _maintenance_ctx(app: web.Application) -> AsyncIterator[None]:
    """Purge history past the retention period and back SQLite up, on their schedules."""
    async with Maintenance.from_settings(app[SETTINGS], app[SERVICES].store):
        yield
