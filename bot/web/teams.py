"""POST /teams/messages: one Bot Framework activity in, the reply sent through the Bot Connector.

Order of checks (without an app id the route answers 503 before them, bot/web/app.py): size
(413), a bearer token at all (401), the activity's shape (400), the token (401: signature,
issuer, audience, expiry, serviceUrl; bot/channels/teams_auth.py). Nothing is stored before
these pass. Then, as for WhatsApp: access (one refusal per interval), the per-sender rate
limit, and the turn through Turns and the engine (whose save claims the activity's key, so a
retried activity is answered once). Only a personal chat gets a turn: in a channel or group
chat, a message or a card tap is answered by a request to write one-to-one
(bot/channels/direct.py), so private code is never shown there. The reply goes out through
the connector while the request waits (Bot Framework allows 15 s; a slower turn still sends
its reply when it ends), then the request is answered 200.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from aiohttp import web
from microsoft_agents.activity import Activity, ChannelAccount, ConversationAccount

from bot.access.policy import AccessPolicy
from bot.channels.direct import DIRECT_ONLY
from bot.channels.teams import TeamsMessage, channel_of, parse_activity, teams_message
from bot.channels.teams_auth import BotTokenValidator, KeysUnavailable, TokenRejected
from bot.channels.teams_render import render
from bot.channels.teams_send import TeamsSender
from bot.coord.base import RateLimiter
from bot.engine.turn import Inbound, TurnResult
from bot.errors import BotError, DeliveryError, MalformedRequestError
from bot.store.base import ConversationStore, MessageType
from bot.web.guard import read_body
from bot.web.logs import user_hash
from bot.web.metrics import Metrics
from bot.web.turns import Turns
from bot.web.webhook import RATE_LIMIT_NOTICE

log = logging.getLogger("bot.web")


class TeamsHandler:
    def __init__(
        self,
        *,
        validator: BotTokenValidator,
        sender: TeamsSender,
        turns: Turns,
        store: ConversationStore,
        limiter: RateLimiter,
        access: AccessPolicy,
        metrics: Metrics,
        hash_key: bytes,
        rate_limit_per_minute: int,
        max_body_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._validator = validator
        self._sender = sender
        self._turns = turns
        self._store = store
        self._limiter = limiter
        self._access = access
        self._refusal = access.config.refusal
        self._refusal_every = access.config.refusal_every_hours * 3600
        self._metrics = metrics
        self._key = hash_key
        self._notice = RATE_LIMIT_NOTICE.format(limit=rate_limit_per_minute)
        self._max = max_body_bytes
        self._clock = clock

    async def __call__(self, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization", "")
        if not authorization:
            return self._unauthorized(request, "no Authorization header")
        activity = await self._activity(request)
        try:
            await self._validator.validate(
                authorization,
                channel_id=channel_of(activity),
                service_url=activity.service_url or "",
            )
        except TokenRejected as exc:
            return self._unauthorized(request, str(exc))
        except KeysUnavailable as exc:
            log.error("teams.keys_unavailable", extra={"fields": {"error": str(exc)}})
            raise web.HTTPServiceUnavailable(text="Signing keys unavailable; retry.") from None
        try:
            message = teams_message(activity)
        except MalformedRequestError as exc:
            raise self._malformed(str(exc)) from None
        if message is None:
            return web.Response(status=200)
        try:
            await self._accept(message, self._sender)
        except BotError:
            log.exception("teams.failed", extra={"fields": {"user": self._user(message)}})
            self._metrics.messages["failed"].inc()
            self._metrics.errors.labels("store").inc()
            await self._send(self._sender, message, (self._turns.failure_text(),))
        return web.Response(status=200)

    async def _activity(self, request: web.Request) -> Activity:
        body = await read_body(request, self._max, self._too_large)
        try:
            return parse_activity(body)
        except MalformedRequestError as exc:
            raise self._malformed(str(exc)) from None

    async def _accept(self, message: TeamsMessage, sender: TeamsSender) -> None:
        viewer = await self._access.viewer(message.user_id)
        if not viewer.allowed:
            await self._refuse(message, sender)
            return
        decision = await self._limiter.hit(message.user_id)
        if not decision.allowed:
            await self._rate_limited(message, sender, notify=decision.notify)
            return
        if message.shared:
            await self._direct_only(message, sender)
            return
        inbound = replace(self._inbound(message), viewer=viewer)
        started = time.perf_counter()
        try:
            result = await self._turns.run(inbound)
        except Exception:
            log.exception("turn.failed", extra={"fields": {"user": self._user(message)}})
            self._metrics.messages["failed"].inc()
            self._metrics.errors.labels("turn").inc()
            await self._send(sender, message, (self._turns.failure_text(),))
            return
        finally:
            self._metrics.turns.inc()
            self._metrics.turn_seconds.observe(time.perf_counter() - started)
        if result.duplicate:  # a retry ran the turn meanwhile: its reply is that one's
            self._metrics.messages["duplicate"].inc()
            return
        self._metrics.messages["replied"].inc()
        await self._deliver(sender, message, result)

    async def _refuse(self, message: TeamsMessage, sender: TeamsSender) -> None:
        """Told once per interval (the store keeps when); nothing else of theirs is kept."""
        self._metrics.messages["refused"].inc()
        told = await self._store.claim_refusal(message.user_id, self._clock(), self._refusal_every)
        log.info("access.refused", extra={"fields": {"user": self._user(message), "told": told}})
        if told:
            await self._send(sender, message, (self._refusal,))

    async def _direct_only(self, message: TeamsMessage, sender: TeamsSender) -> None:
        """No turn, no repository content in a shared conversation; asked once (a retried
        activity is not answered again) to write one-to-one."""
        kept = await self._turns.keep(self._inbound(message), DIRECT_ONLY, MessageType.SHARED)
        self._metrics.messages["shared"].inc()
        log.info("teams.shared", extra={"fields": {"user": self._user(message), "told": kept}})
        if kept:
            await self._send(sender, message, (DIRECT_ONLY,))

    async def _rate_limited(
        self, message: TeamsMessage, sender: TeamsSender, *, notify: bool
    ) -> None:
        self._metrics.messages["rate_limited"].inc()
        response = self._notice if notify else ""
        kept = await self._turns.keep(self._inbound(message), response, MessageType.RATE_LIMITED)
        fields = {"user": self._user(message), "notified": notify and kept}
        log.info("webhook.rate_limited", extra={"fields": fields})
        if notify and kept:  # not kept: a retry of an activity handled already
            await self._send(sender, message, (self._notice,))

    def _inbound(self, message: TeamsMessage) -> Inbound:
        return Inbound(
            user_id=message.user_id,
            text=message.text,
            message_sid=message.message_key,
            profile_name=message.user_name,
            channel="teams",
            received_at=self._clock(),
            media=message.media,
        )

    async def _send(self, sender: TeamsSender, message: TeamsMessage, texts: Sequence[str]) -> None:
        result = TurnResult(replies=tuple(texts), state="", intent=None, score=None, trace=())
        await self._deliver(sender, message, result)

    async def _deliver(
        self, sender: TeamsSender, message: TeamsMessage, result: TurnResult
    ) -> None:
        addressed = {
            "reply_to_id": message.reply_to_id,
            "from_property": ChannelAccount(id=message.bot_id),
            "recipient": ChannelAccount(id=message.account_id),
            "conversation": ConversationAccount(id=message.conversation_id),
        }
        activities = [a.model_copy(update=addressed) for a in render(result)]
        if not activities:
            return
        user = self._user(message)
        try:
            sent = await sender.send(message.service_url, message.conversation_id, activities)
        except DeliveryError as exc:
            self._metrics.outbound.labels("failed").inc()
            self._metrics.errors.labels("outbound").inc()
            fields = {"user": user, "error": str(exc), "maybe_sent": exc.maybe_sent}
            log.error("outbound.failed", extra={"fields": {**fields, "channel": "teams"}})
            return
        self._metrics.outbound.labels("sent").inc(sent)
        log.info("outbound.sent", extra={"fields": {"user": user, "parts": sent}})

    def _user(self, message: TeamsMessage) -> str:
        return user_hash(message.user_id, self._key)

    def _unauthorized(self, request: web.Request, reason: str) -> web.Response:
        self._metrics.rejected["signature"].inc()
        fields = {"reason": reason, "path": request.path, "remote": request.remote}
        log.warning("teams.token_invalid", extra={"fields": fields})
        return web.Response(
            status=401, text="Unauthorized: invalid or missing Bot Framework token."
        )

    def _malformed(self, reason: str) -> web.HTTPBadRequest:
        self._metrics.rejected["malformed"].inc()
        log.warning("teams.malformed", extra={"fields": {"reason": reason}})
        return web.HTTPBadRequest(text=f"Malformed activity: {reason}")

    def _too_large(self, size: int | None) -> web.HTTPRequestEntityTooLarge:
        self._metrics.rejected["too_large"].inc()
        log.warning("teams.too_large", extra={"fields": {"bytes": size, "limit": self._max}})
        return web.HTTPRequestEntityTooLarge(max_size=self._max, actual_size=size or self._max + 1)
