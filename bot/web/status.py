"""POST /status: Twilio's delivery status callbacks for the messages we sent.

Idempotent and tolerant of order: the store keeps the furthest status a message reached, so a late
"sent" after "delivered" changes nothing, and a repeated callback is answered the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web

from bot.channels.twilio import EMPTY_TWIML, status_callback
from bot.errors import BotError, MalformedRequestError
from bot.store.base import ConversationStore
from bot.web.guard import TwilioGuard
from bot.web.metrics import Metrics

log = logging.getLogger("bot.web")


class StatusHandler:
    def __init__(
        self,
        *,
        guard: TwilioGuard,
        store: ConversationStore,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._guard = guard
        self._store = store
        self._metrics = metrics
        self._clock = clock

    async def __call__(self, request: web.Request) -> web.Response:
        form = await self._guard.form(request)
        try:
            callback = status_callback(form)
        except MalformedRequestError as exc:
            self._metrics.rejected["malformed"].inc()
            raise web.HTTPBadRequest(text=f"Malformed request: {exc}") from None
        try:
            changed = await self._store.record_status(
                callback.message_sid, callback.status, self._clock(), callback.error_code
            )
        except BotError:
            # Twilio does not retry status callbacks: a 5xx would only add noise on its side.
            log.exception("status.store_failed", extra={"fields": {"sid": callback.message_sid}})
            self._metrics.errors.labels("store").inc()
            return _ack()
        self._metrics.status_callbacks.labels(callback.status).inc()
        log.info(
            "status.recorded" if changed else "status.ignored",
            extra={
                "fields": {
                    "sid": callback.message_sid,
                    "status": callback.status,
                    "error_code": callback.error_code,
                }
            },
        )
        return _ack()


def _ack() -> web.Response:
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")
