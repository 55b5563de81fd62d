"""The aiohttp application: `create_app(settings)` wires the endpoints to the shared services.

Shared resources live on the app under typed AppKeys and are opened and closed in cleanup_ctx, in
this order: services (store, flows, search, engine), the Twilio REST sender, the handlers with their
outbox. At shutdown they close in reverse: queued replies first, then the sender, then the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass

import aiohttp
from aiohttp import web

from bot.background import background
from bot.channels.slack import SlackSignature
from bot.channels.slack_send import SlackSender
from bot.channels.twilio import SignatureChecker
from bot.channels.twilio_rest import Sender, TwilioSender
from bot.config import Settings
from bot.coord.factory import Coordination
from bot.engine.timeouts import run_sweep
from bot.search.service import SearchService
from bot.services import Services
from bot.store.lease import renew_every
from bot.store.maintenance import Maintenance
from bot.web.dashboard.app import dashboard_app, mount
from bot.web.githooks import GitHookHandler
from bot.web.guard import TwilioGuard
from bot.web.health import HealthHandler, MetricsHandler, live
from bot.web.logs import hash_key, user_hash
from bot.web.metrics import Metrics
from bot.web.operator import OperatorAuth
from bot.web.outbox import Outbox
from bot.web.production import check_production
from bot.web.recovery import Recovery
from bot.web.slack import SlackHandler
from bot.web.status import StatusHandler
from bot.web.turns import Turns
from bot.web.webhook import RATE_LIMIT_NOTICE, WebhookHandler

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
_Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
TEAMS: web.AppKey[_Route] = web.AppKey("teams")
TURNS = web.AppKey("turns", Turns)
SLACK = web.AppKey("slack", SlackHandler)


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
    app.cleanup_ctx.append(_teams_ctx)
    app.cleanup_ctx.append(_slack_ctx)
    app.cleanup_ctx.append(_timeouts_ctx)
    app.cleanup_ctx.append(_maintenance_ctx)
    app.router.add_post("/webhook", _webhook)
    app.router.add_post("/status", _status)
    app.router.add_post("/teams/messages", _teams)
    app.router.add_get("/health", _health)
    app.router.add_get("/live", live)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/hooks/git", _git_hook)
    app.router.add_post("/slack/events", _slack_events)
    app.router.add_post("/slack/interactivity", _slack_interactivity)
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
                search = SearchService.from_settings(settings)
                search.time_queries(metrics.search_seconds.observe)
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
    reason = TwilioSender.unconfigured(settings)
    if reason:
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
        failure_text=services.engine.failure_text,
        grace_seconds=min(
            max(limits.outbound_timeout_seconds, limits.reply_budget_seconds),
            settings.server.shutdown_grace_seconds * OUTBOX_SHARE,
        ),
        renew_every=renew_every(reclaim),
        interactive=settings.twilio.interactive,
    )
    app[OUTBOX] = outbox
    checker = SignatureChecker(
        auth_token=settings.twilio.auth_token, public_base_url=settings.server.public_base_url
    )
    guard = TwilioGuard(checker=checker, max_bytes=limits.max_body_bytes, metrics=metrics)
    operators = OperatorAuth.from_settings(settings)
    turns = Turns(engine=services.engine)
    app[TURNS] = turns
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
            failure_text=services.engine.failure_text,
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


async def _teams_ctx(app: web.Application) -> AsyncIterator[None]:
    """POST /teams/messages. Its token check and connector client share one HTTP session (the
    OpenID configuration, the signing keys, the bot's token). The SDK is imported only when
    Teams is configured (it is a third of the server's import time); without an app id and
    password the route answers 503."""
    settings = app[SETTINGS]
    teams = settings.teams
    if not (teams.app_id and teams.app_password):
        log.info("teams.disabled", extra={"fields": {"reason": "TEAMS_APP_ID is not set"}})
        app[TEAMS] = _teams_not_configured
        yield
        return
    from bot.channels.teams_auth import BotTokenValidator
    from bot.channels.teams_send import TeamsSender
    from bot.channels.teams_token import ConnectorTokens, default_token_url
    from bot.web.teams import TeamsHandler

    services, limits = app[SERVICES], settings.limits
    timeout = aiohttp.ClientTimeout(total=limits.outbound_timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        tokens = ConnectorTokens(
            app_id=teams.app_id,
            app_password=teams.app_password,
            token_url=teams.token_url or default_token_url(teams.tenant_id),
            session=http,
        )
        handler: _Route = TeamsHandler(
            validator=BotTokenValidator(
                app_id=teams.app_id,
                openid_metadata_url=teams.openid_metadata_url,
                issuer=teams.issuer,
                session=http,
                refresh_seconds=teams.keys_refresh_seconds,
            ),
            sender=TeamsSender(tokens=tokens, timeout_seconds=limits.outbound_timeout_seconds),
            turns=app[TURNS],
            store=services.store,
            limiter=app[COORD].limiter,
            access=services.access,
            metrics=app[METRICS],
            hash_key=hash_key(settings),
            rate_limit_per_minute=limits.rate_limit_per_minute,
            max_body_bytes=limits.max_body_bytes,
        )
        app[TEAMS] = handler
        yield


async def _teams_not_configured(request: web.Request) -> web.StreamResponse:
    raise web.HTTPServiceUnavailable(
        text="Microsoft Teams is not configured: set TEAMS_APP_ID and TEAMS_APP_PASSWORD."
    )


async def _slack_ctx(app: web.Application) -> AsyncIterator[None]:
    """Slack, when its Signing Secret and bot token are set: the sender and the handler, whose
    replies under way are finished (within the grace period) before the sender closes."""
    settings = app[SETTINGS]
    if not settings.slack.enabled:
        yield
        return
    sender = SlackSender.from_settings(settings)
    limits = settings.limits
    app[SLACK] = handler = SlackHandler(
        signature=SlackSignature(signing_secret=settings.slack.signing_secret),
        turns=app[TURNS],
        store=app[SERVICES].store,
        limiter=app[COORD].limiter,
        access=app[SERVICES].access,
        poster=sender,
        metrics=app[METRICS],
        hash_key=hash_key(settings),
        max_bytes=limits.max_body_bytes,
        rate_limit_notice=RATE_LIMIT_NOTICE.format(limit=limits.rate_limit_per_minute),
        grace_seconds=settings.server.shutdown_grace_seconds * OUTBOX_SHARE,
    )
    log.info("slack.enabled", extra={"fields": {"api": settings.slack.api_base_url or "slack"}})
    try:
        yield
    finally:
        try:
            await handler.close()
        finally:
            await sender.close()


def _slack(request: web.Request) -> SlackHandler:
    handler = request.app.get(SLACK)
    if handler is None:
        raise web.HTTPNotFound(
            text="Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN."
        )
    return handler


async def _slack_events(request: web.Request) -> web.StreamResponse:
    return await _slack(request).events(request)


async def _slack_interactivity(request: web.Request) -> web.StreamResponse:
    return await _slack(request).interactivity(request)


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


async def _teams(request: web.Request) -> web.StreamResponse:
    return await request.app[TEAMS](request)


async def _status(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].status(request)


async def _health(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].health(request)


async def _git_hook(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].git(request)


async def _metrics(request: web.Request) -> web.StreamResponse:
    return await request.app[HANDLERS].metrics(request)


async def _timeouts_ctx(app: web.Application) -> AsyncIterator[None]:
    """Fire due state timeouts in the background and send what the target state says, through
    the outbox like every reply sent outside a webhook's response. Without outbound credentials
    nothing could be sent, so timeouts then fire on the user's next message."""
    outbox = app[OUTBOX]
    if not outbox.can_send:
        yield
        return
    key = hash_key(app[SETTINGS])

    async def deliver(user: str, replies: Sequence[str]) -> None:
        if not user.startswith("+"):  # a Slack or Teams user: no WhatsApp number to send to
            log.info("timeouts.not_sent", extra={"fields": {"reason": "not a WhatsApp user"}})
            return
        await outbox.send(user, replies, user_hash(user, key))

    sweep = run_sweep(app[SERVICES].engine, deliver, interval=app[SETTINGS].sessions.sweep_seconds)
    async with background(sweep, name="timeouts.sweep"):
        yield


async def _maintenance_ctx(app: web.Application) -> AsyncIterator[None]:
    """Purge history past the retention period and back SQLite up, on their schedules."""
    async with Maintenance.from_settings(app[SETTINGS], app[SERVICES].store):
        yield
