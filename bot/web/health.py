"""GET /health (JSON; 503 when the database is unreachable), GET /live (the process answers)
and GET /metrics (Prometheus text; with ``Accept: application/json``, the product spec's four
figures: active_sessions, messages_processed, average_response_time, error_rate).

Without the operators' token (operator.py), /health tells only whether the service is up, for
load balancers, and /metrics answers 401: the details name repositories, providers and errors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from bot.errors import BotError
from bot.store.base import ConversationStore
from bot.web.metrics import CONTENT_TYPE, Metrics
from bot.web.operator import OperatorAuth

log = logging.getLogger("bot.web")

PING_TIMEOUT_SECONDS = 2.0


class HasStatus(Protocol):
    def status(self) -> dict[str, object]: ...


def _status_of(component: Any) -> object:
    if component is None:
        return {"state": "not configured"}
    status = getattr(component, "status", None)
    if not callable(status):
        return {"state": "unknown"}
    try:
        return status()
    except Exception as exc:  # a broken status() must not take /health down with it
        return {"state": "error", "error": str(exc)}


async def live(request: web.Request) -> web.Response:
    """Liveness: answered by the event loop alone, so a slow database never gets a healthy
    process restarted (readiness, /health, takes it out of the load balancer instead)."""
    return web.json_response({"status": "ok"})


class HealthHandler:
    def __init__(
        self,
        *,
        store: ConversationStore,
        search: HasStatus | None,
        llm: object,
        queue_depth: Callable[[], int],
        coordination: HasStatus | None = None,
        auth: OperatorAuth | None = None,
        cache: HasStatus | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._auth = auth or OperatorAuth(token="", required=False)
        self._store = store
        self._search = search
        self._llm = llm
        self._coordination = coordination
        self._cache = cache
        self._queue_depth = queue_depth
        self._clock = clock
        self._started = clock()

    async def __call__(self, request: web.Request) -> web.Response:
        database, healthy = "connected", True
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await self._store.ping()
        except (BotError, TimeoutError) as exc:
            database, healthy = f"unreachable: {str(exc) or 'no answer in time'}", False
            log.error("health.database_unreachable", extra={"fields": {"error": str(exc)}})
        status = 200 if healthy else 503
        if not self._auth.allows(request):
            return web.json_response({"status": "ok" if healthy else "unavailable"}, status=status)
        llm = _status_of(self._llm)
        body = {
            "status": "ok" if healthy else "unavailable",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": database,
            "ai_service": llm.get("state", "unknown") if isinstance(llm, dict) else "unknown",
            "search": _status_of(self._search),
            "llm": llm,
            "coordination": _status_of(self._coordination),
            "cache": _status_of(self._cache),
            "outbound_queue": self._queue_depth(),
            "uptime_seconds": round(self._clock() - self._started, 1),
        }
        return web.json_response(body, status=status)


class MetricsHandler:
    def __init__(
        self,
        *,
        metrics: Metrics,
        store: ConversationStore,
        session_timeout_seconds: float,
        auth: OperatorAuth | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._auth = auth or OperatorAuth(token="", required=False)
        self._metrics = metrics
        self._store = store
        self._timeout = session_timeout_seconds
        self._clock = clock

    async def __call__(self, request: web.Request) -> web.Response:
        if not self._auth.allows(request):
            raise self._auth.refusal()
        try:
            active = await self._store.active_sessions(self._clock() - self._timeout)
            self._metrics.active_sessions.set(active)
        except BotError as exc:
            log.warning("metrics.sessions_unavailable", extra={"fields": {"error": str(exc)}})
        if wants_json(request.headers.get("Accept", "")):
            return web.json_response(self._metrics.summary())
        response = web.Response(body=self._metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response


def wants_json(accept: str) -> bool:
    """``Accept`` names application/json (not refused with q=0); Prometheus never does."""
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() == "application/json":
            return not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00") for p in params)
    return False
