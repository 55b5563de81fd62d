"""POST /slack/events and /slack/interactivity: Slack messages and button taps in, replies out.

Order: size, signature (401 and nothing changes when it is forged or stale), then what the
request says. A message for the bot (a DM, an @mention, a tapped choice) is checked like a
WhatsApp message (access, the rate limit; Slack's retries are answered once because the turn's
save claims the event id, and a retry is not counted again), acknowledged at once (Slack wants
an answer within 3 s) and answered through chat.postMessage when its turn ends. Only a DM gets
a turn: a mention in a channel, or a button tapped outside a DM, is answered in its thread by
a request to write in a DM (bot/channels/direct.py), so private code is never shown there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.access.policy import AccessPolicy
from bot.channels.direct import DIRECT_ONLY
from bot.channels.slack import (
    RETRY_HEADER,
    SIGNATURE_HEADER,
    SlackMessage,
    SlackSignature,
    action_message,
    event_message,
    load_json,
)
from bot.channels.slack_render import render
from bot.channels.slack_send import SlackPoster
from bot.coord.base import RateLimiter
from bot.engine.turn import Inbound, TurnResult
from bot.errors import BotError, DeliveryError, MalformedRequestError
from bot.store.base import ConversationStore, MessageType
from bot.web.guard import read_body
from bot.web.logs import user_hash
from bot.web.metrics import Metrics
from bot.web.turns import Turns

log = logging.getLogger("bot.web")


class SlackHandler:
    def __init__(
        self,
        *,
        signature: SlackSignature,
        turns: Turns,
        store: ConversationStore,
        limiter: RateLimiter,
        access: AccessPolicy,
        poster: SlackPoster,
        metrics: Metrics,
        hash_key: bytes,
        max_bytes: int,
        rate_limit_notice: str,
        grace_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signature = signature
        self._turns = turns
        self._store = store
        self._limiter = limiter
        self._access = access
        self._poster = poster
        self._metrics = metrics
        self._key = hash_key
        self._max = max_bytes
        self._notice = rate_limit_notice
        self._grace = grace_seconds
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    async def events(self, request: web.Request) -> web.Response:
        body = await self._signed_body(request)
        try:
            envelope = load_json(body)
            kind = envelope.get("type")
            if kind == "url_verification":
                return web.json_response({"challenge": str(envelope.get("challenge", ""))})
            message = event_message(envelope) if kind == "event_callback" else None
        except MalformedRequestError as exc:
            raise self._malformed(exc) from None
        if message is not None:
            retry = request.headers.get(RETRY_HEADER)
            await self._accept(message, retry=retry)
        return web.Response(status=200)

    async def interactivity(self, request: web.Request) -> web.Response:
        body = await self._signed_body(request)
        try:
            message = action_message(body)
        except MalformedRequestError as exc:
            raise self._malformed(exc) from None
        if message is not None:
            await self._accept(message, retry=None)
        return web.Response(status=200)

    async def _signed_body(self, request: web.Request) -> bytes:
        body = await read_body(request, self._max, self._too_large)
        if not self._signature.valid(body, request.headers):
            self._metrics.rejected["signature"].inc()
            fields = {"path": request.path, "signed": SIGNATURE_HEADER in request.headers}
            log.warning("slack.signature_invalid", extra={"fields": fields})
            raise web.HTTPUnauthorized(text="Invalid, stale or missing Slack signature.")
        return body

    def _malformed(self, exc: MalformedRequestError) -> web.HTTPBadRequest:
        self._metrics.rejected["malformed"].inc()
        log.warning("slack.malformed", extra={"fields": {"reason": str(exc)}})
        return web.HTTPBadRequest(text=f"Malformed request: {exc}")

    def _too_large(self, size: int | None) -> web.HTTPRequestEntityTooLarge:
        self._metrics.rejected["too_large"].inc()
        log.warning("slack.too_large", extra={"fields": {"bytes": size, "limit": self._max}})
        return web.HTTPRequestEntityTooLarge(max_size=self._max, actual_size=size or self._max + 1)

    async def _accept(self, message: SlackMessage, *, retry: str | None) -> None:
        user = user_hash(message.user_id, self._key)
        try:
            viewer = await self._access.viewer(message.user_id)
            if not viewer.allowed:
                await self._refuse(message, user)
                return
            # Slack's retry of an event already counted is not counted again; the engine
            # answers it once (the turn's save claims the event id).
            decision = None if retry else await self._limiter.hit(message.user_id)
            if decision is not None and not decision.allowed:
                await self._rate_limited(message, user, notify=decision.notify)
                return
            if message.shared:
                await self._direct_only(message, user)
                return
        except BotError:
            log.exception("slack.failed", extra={"fields": {"user": user}})
            self._metrics.errors.labels("store").inc()
            self._metrics.messages["failed"].inc()
            self._spawn(self._post(message, (self._turns.failure_text(),), user))
            return
        inbound = replace(self._inbound(message), viewer=viewer)
        self._metrics.messages["deferred"].inc()
        self._spawn(self._answer(message, self._turns.run(inbound), user))

    def _inbound(self, message: SlackMessage) -> Inbound:
        return Inbound(
            user_id=message.user_id,
            text=message.text,
            message_sid=message.claim_id,
            channel="slack",
            received_at=self._clock(),
            media=message.media,
        )

    async def _refuse(self, message: SlackMessage, user: str) -> None:
        self._metrics.messages["refused"].inc()
        every = self._access.config.refusal_every_hours * 3600
        told = await self._store.claim_refusal(message.user_id, self._clock(), every)
        log.info("access.refused", extra={"fields": {"user": user, "told": told}})
        if told:
            self._spawn(self._post(message, (self._access.config.refusal,), user))

    async def _direct_only(self, message: SlackMessage, user: str) -> None:
        """A mention in a channel, a tap outside a DM: no turn, no repository content; asked
        once (a retry of it is not answered again) to write in a DM."""
        kept = await self._turns.keep(self._inbound(message), DIRECT_ONLY, MessageType.SHARED)
        self._metrics.messages["shared"].inc()
        log.info("slack.shared", extra={"fields": {"user": user, "told": kept}})
        if kept:
            self._spawn(self._post(message, (DIRECT_ONLY,), user))

    async def _rate_limited(self, message: SlackMessage, user: str, *, notify: bool) -> None:
        self._metrics.messages["rate_limited"].inc()
        response = self._notice if notify else ""
        kept = await self._turns.keep(self._inbound(message), response, MessageType.RATE_LIMITED)
        log.info(
            "slack.rate_limited", extra={"fields": {"user": user, "notified": notify and kept}}
        )
        if notify and kept:  # not kept: a retry of a message handled already
            self._spawn(self._post(message, (self._notice,), user))

    async def _answer(
        self, message: SlackMessage, turn: asyncio.Future[TurnResult], user: str
    ) -> None:
        started = time.perf_counter()
        try:
            result = await turn
        except Exception:
            log.exception("turn.failed", extra={"fields": {"user": user}})
            self._metrics.messages["failed"].inc()
            self._metrics.errors.labels("turn").inc()
            await self._post(message, (self._turns.failure_text(),), user)
            return
        finally:
            self._metrics.turns.inc()
            self._metrics.turn_seconds.observe(time.perf_counter() - started)
        if result.duplicate:  # a retry ran the turn meanwhile: its reply is that one's
            self._metrics.messages["duplicate"].inc()
            return
        await self._post(message, result.replies, user, result)

    async def _post(
        self,
        message: SlackMessage,
        replies: tuple[str, ...],
        user: str,
        result: TurnResult | None = None,
    ) -> None:
        messages = render(replies, result.choices if result is not None else ())
        if not messages:
            return
        try:
            sent = await self._poster.post(message.channel, messages, thread_ts=message.thread_ts)
        except DeliveryError as exc:
            self._metrics.outbound.labels("failed").inc()
            self._metrics.errors.labels("outbound").inc()
            log.error("slack.not_sent", extra={"fields": {"user": user, "error": str(exc)}})
            return
        self._metrics.outbound.labels("sent").inc(len(sent))
        log.info("slack.sent", extra={"fields": {"user": user, "parts": len(sent)}})

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Let the replies under way finish within the grace period; cancel the rest."""
        if not self._tasks:
            return
        _done, late = await asyncio.wait(list(self._tasks), timeout=self._grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("slack.left_unanswered", extra={"fields": {"count": len(late)}})
