"""POST /webhook: one inbound WhatsApp message in, TwiML out.

Order of checks: size, form, signature (guard.py); then access (a sender who may not talk gets
one refusal a day and nothing else: no session, no claim, no row); then the per-sender rate limit
and the turn. MessageSid dedupe is the engine's: the turn's save claims it in the same
transaction as the session and the row, so a retry of a message answered already comes back as a
duplicate and gets an empty ``<Response/>``. A turn that ends within the reply budget is answered
inside the response; a slower one gets ``<Response/>`` at once and its reply goes out through the
REST API. With interactive messages on (`twilio.interactive`), a reply may go through the REST
API whatever its speed, so every message is kept (keep_pending) before its turn starts and stays
kept until its reply is out; one answered inside the response is released at once. A legitimate
request always gets a TwiML body and a 200; when the turn or the store
fails, it says the flows' `error` message (Engine.failure_text).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web

from bot.access.policy import AccessPolicy, Viewer
from bot.channels.twilio import EMPTY_TWIML, InboundMessage, inbound_message, split_replies, twiml
from bot.coord.base import RateLimiter
from bot.engine.turn import TurnResult
from bot.errors import BotError, MalformedRequestError
from bot.store.base import ConversationStore, MessageType
from bot.web.guard import TwilioGuard
from bot.web.logs import user_hash
from bot.web.metrics import Metrics
from bot.web.outbox import Outbox
from bot.web.turns import Turns

log = logging.getLogger("bot.web")

TWIML_TYPE = "text/xml"
RATE_LIMIT_NOTICE = (
    "You're sending messages faster than I can keep up with ({limit} a minute). "
    "I've kept them; please wait a minute before sending more."
)
MAX_REMEMBERED_REFUSALS = 10_000


def _xml(body: str) -> web.Response:
    return web.Response(text=body, content_type=TWIML_TYPE)


class WebhookHandler:
    def __init__(
        self,
        *,
        guard: TwilioGuard,
        turns: Turns,
        store: ConversationStore,
        limiter: RateLimiter,
        access: AccessPolicy,
        outbox: Outbox,
        metrics: Metrics,
        hash_key: bytes,
        rate_limit_per_minute: int,
        reply_budget_seconds: float,
        max_reply_chars: int,
        failure_text: Callable[[], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._guard = guard
        self._turns = turns
        self._store = store
        self._limiter = limiter
        self._access = access
        self._refusal = access.config.refusal
        self._refusal_every = access.config.refusal_every_hours * 3600
        # Senders this instance refused and told, and when: their next messages within the
        # interval cost no database write (the store still decides across instances).
        self._told: dict[str, float] = {}
        self._outbox = outbox
        self._metrics = metrics
        self._key = hash_key
        self._notice = RATE_LIMIT_NOTICE.format(limit=rate_limit_per_minute)
        self._budget = reply_budget_seconds
        self._max_chars = max_reply_chars
        self._failure_text = failure_text
        self._clock = clock

    async def __call__(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            return await self._answer(request)
        finally:
            self._metrics.webhook_seconds.observe(time.perf_counter() - started)

    async def _answer(self, request: web.Request) -> web.Response:
        form = await self._guard.form(request)
        try:
            message = inbound_message(form)
        except MalformedRequestError as exc:
            self._metrics.rejected["malformed"].inc()
            log.warning("webhook.malformed", extra={"fields": {"reason": str(exc)}})
            raise web.HTTPBadRequest(text=f"Malformed request: {exc}") from None
        try:
            return await self._accept(message)
        except BotError:
            # The store is failing: say so in TwiML rather than a 5xx Twilio would retry blindly.
            log.exception("webhook.failed", extra={"fields": {"user": self._user(message)}})
            self._metrics.messages["failed"].inc()
            self._metrics.errors.labels("store").inc()
            return _xml(twiml([self._failure_text()]))

    def _user(self, message: InboundMessage) -> str:
        """The sender as logs show it (hashed only when a line is written)."""
        return user_hash(message.sender, self._key)

    async def _accept(self, message: InboundMessage) -> web.Response:
        viewer = await self._access.viewer(message.sender)
        if not viewer.allowed:
            return await self._refuse(message)
        decision = await self._limiter.hit(message.sender)
        if not decision.allowed:
            return await self._rate_limited(message, notify=decision.notify)
        return await self._turn(message, viewer)

    def _duplicate(self, message: InboundMessage) -> web.Response:
        self._metrics.messages["duplicate"].inc()
        log.info("webhook.duplicate", extra={"fields": {"user": self._user(message)}})
        return _xml(EMPTY_TWIML)

    async def _refuse(self, message: InboundMessage) -> web.Response:
        """Told once per interval, whichever instance they reach (the store keeps when); their
        text is not stored: nothing of an outsider is kept but their key and that time."""
        self._metrics.messages["refused"].inc()
        now = self._clock()
        told = False
        if self._told.get(message.sender, -self._refusal_every) <= now - self._refusal_every:
            told = await self._store.claim_refusal(message.sender, now, self._refusal_every)
            if len(self._told) >= MAX_REMEMBERED_REFUSALS:
                self._told.clear()
            self._told[message.sender] = now  # told now, or by another instance lately
        log.info("access.refused", extra={"fields": {"user": self._user(message), "told": told}})
        return _xml(twiml([self._refusal]) if told else EMPTY_TWIML)

    async def _rate_limited(self, message: InboundMessage, *, notify: bool) -> web.Response:
        self._metrics.messages["rate_limited"].inc()
        fields = {"user": self._user(message), "notified": notify}
        log.info("webhook.rate_limited", extra={"fields": fields})
        notice = self._notice if notify else ""
        if not await self._turns.record(message, notice, MessageType.RATE_LIMITED):
            return self._duplicate(message)
        return _xml(twiml([self._notice]) if notify else EMPTY_TWIML)

    async def _turn(self, message: InboundMessage, viewer: Viewer) -> web.Response:
        started = time.perf_counter()
        # A reply that may go through the REST API as an interactive message is acknowledged
        # with an empty <Response/>: the message is kept before its turn starts (the turn's save
        # cannot keep it any more), and stays kept until its reply has been sent.
        kept = self._outbox.may_go_interactive
        if kept:
            await self._keep(message, self._user(message))
        turn = self._turns.start(message, viewer=viewer)
        turn.add_done_callback(lambda done: self._turn_done(done, started))
        # Without REST credentials a late reply could not be sent at all: wait for it instead.
        budget = self._budget if self._outbox.can_send else None
        done, _pending = await asyncio.wait((turn,), timeout=budget)
        if not done:
            user = self._user(message)
            if not kept:
                await self._keep(message, user)
            self._outbox.deliver_later(message, turn, user)
            self._metrics.messages["deferred"].inc()
            log.info("webhook.deferred", extra={"fields": {"user": user, "budget": budget}})
            return _xml(EMPTY_TWIML)
        try:
            result = turn.result()
        except Exception:
            log.exception("turn.failed", extra={"fields": {"user": self._user(message)}})
            self._metrics.messages["failed"].inc()
            self._metrics.errors.labels("turn").inc()
            if kept:
                await self._answered(message)
            return _xml(twiml([self._failure_text()]))
        if result.duplicate:
            return self._duplicate(message)
        if self._outbox.interactive(result):
            # Buttons exist only in the REST API: the whole reply goes that way, in order. The
            # message was kept: a crash before the reply is out leaves it to recovery.py.
            user = self._user(message)
            self._outbox.deliver_later(message, turn, user)
            self._metrics.messages["replied"].inc()
            return _xml(EMPTY_TWIML)
        if kept:
            await self._answered(message)
        self._metrics.messages["replied"].inc()
        parts = split_replies(result.replies, self._max_chars)
        if log.isEnabledFor(logging.DEBUG):
            fields = {"user": self._user(message), "parts": len(parts), "text": message.text}
            log.debug("webhook.replied", extra={"fields": fields})
        return _xml(twiml(parts))

    async def _keep(self, message: InboundMessage, user: str) -> None:
        """Acknowledged without its reply: keep the message until its turn is saved, so a crash
        before then is finished at the next start (bot/web/recovery.py)."""
        try:
            await self._store.keep_pending(message.message_sid, message.sender, message.pending())
        except BotError:
            log.exception("webhook.not_kept", extra={"fields": {"user": user}})

    async def _answered(self, message: InboundMessage) -> None:
        """Kept ahead of its turn, but answered in this response: nothing left to recover."""
        try:
            await self._store.reply_sent(message.message_sid)
        except BotError:
            log.exception("webhook.not_released", extra={"fields": {"user": self._user(message)}})

    def _turn_done(self, turn: asyncio.Future[TurnResult], started: float) -> None:
        if not turn.cancelled() and turn.exception() is None and turn.result().duplicate:
            return  # a retry answered by nobody: no turn ran
        self._metrics.turns.inc()
        self._metrics.turn_seconds.observe(time.perf_counter() - started)
