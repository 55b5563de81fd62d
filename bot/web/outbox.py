"""The one way replies go out through the REST API, from the bot's one number: replies that missed
the webhook's budget (sent when their turn ends), saved replies recovered after a crash, and what
a state's timeout says.

Every delivery of a message's reply is a tracked task, its claim renewed until the reply is out.
At shutdown they get a grace period to finish; a turn still running after it is cancelled. Its
(keep_pending) and stays kept until its reply has been sent (reply_sent): the next instance to
start finishes the turn, or sends the saved reply (bot/web/recovery.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.channels.twilio import InboundMessage
from bot.channels.twilio_rest import Sender
from bot.channels.whatsapp_render import WhatsAppReply, render
from bot.engine.turn import TurnResult
from bot.errors import BotError, DeliveryError
from bot.store.base import ConversationStore
from bot.store.lease import claim_held
from bot.web.metrics import Metrics

log = logging.getLogger("bot.web")


@dataclass(slots=True)
class _Pending:
    message: InboundMessage
    turn: asyncio.Future[TurnResult] | None  # None: the reply was saved already
    replies: tuple[str, ...]
    user: str  # hashed, for logs


class Outbox:
    def __init__(
        self,
        *,
        sender: Sender | None,
        store: ConversationStore,
        metrics: Metrics,
        max_reply_chars: int,
        failure_text: Callable[[], str],
        grace_seconds: float = 10.0,
        renew_every: float = 5.0,
        interactive: bool = False,
    ) -> None:
        self._sender = sender
        self._store = store
        self._metrics = metrics
        self._max_chars = max_reply_chars
        self._failure_text = failure_text
        self._grace = grace_seconds
        self._renew_every = renew_every
        self._interactive = interactive  # choices as quick replies / list pickers
        self._tasks: dict[asyncio.Task[None], _Pending] = {}
        self._closing = False
        metrics.outbound_queue.set_function(lambda: len(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def can_send(self) -> bool:
        return self._sender is not None

    def deliver_later(
        self, message: InboundMessage, turn: asyncio.Future[TurnResult], user: str
    ) -> None:
        """Send the turn's reply when it ends."""
        self._track(_Pending(message, turn, (), user))

    def send_saved(self, message: InboundMessage, replies: tuple[str, ...], user: str) -> None:
        """Send the reply of a turn that was saved but whose reply never went out."""
        self._track(_Pending(message, None, replies, user))

    def _track(self, pending: _Pending) -> None:
        task = asyncio.create_task(self._held(pending))
        self._tasks[task] = pending
        task.add_done_callback(self._tasks.pop)

    @property
    def may_go_interactive(self) -> bool:
        """Whether a reply may go out as an interactive message (through the API only)."""
        return self._interactive and self._sender is not None

    def interactive(self, result: TurnResult) -> bool:
        """Whether ``result`` goes out as an interactive message (so only through the API)."""
        if not self.may_go_interactive:
            return False
        return render(result.replies, result.choices, interactive=True).template is not None

    async def _held(self, pending: _Pending) -> None:
        """The kept message stays this instance's (its claim renewed) until its reply is out."""
        sid = pending.message.message_sid
        async with claim_held(self._store, sid, every=self._renew_every):
            await self._deliver(pending)

    async def _deliver(self, pending: _Pending) -> None:
        if pending.turn is not None:
            try:
                result = await pending.turn
            except Exception:
                log.exception("turn.failed", extra={"fields": {"user": pending.user}})
                self._metrics.errors.labels("turn").inc()
                reply = render((self._failure_text(),), max_chars=self._max_chars)
            else:
                if result.duplicate:  # a retry: the message is (or was) another delivery's
                    return
                reply = render(
                    result.replies,
                    result.choices,
                    max_chars=self._max_chars,
                    interactive=self._interactive,
                )
        else:
            reply = render(pending.replies, max_chars=self._max_chars)
        if self._closing:  # the turn ended after the grace period: the next start sends it
            log.warning("outbound.abandoned", extra={"fields": {"user": pending.user}})
            return
        await self._send(pending.message.sender, reply, pending.user)
        # Sent, or given up on after the sender's own retries: never sent again. Only a process
        # that dies before this line leaves the reply to the next start.
        try:
            await self._store.reply_sent(pending.message.message_sid)
        except BotError:
            log.exception("outbound.not_recorded", extra={"fields": {"user": pending.user}})

    async def send(self, to: str, replies: Sequence[str], user: str) -> None:
        """Split ``replies`` for the channel and send them to ``to`` (``user``: hashed, for
        logs); a failure is counted and logged, never raised."""
        await self._send(to, render(tuple(replies), max_chars=self._max_chars), user)

    async def _send(self, to: str, reply: WhatsAppReply, user: str) -> None:
        if not (reply.parts or reply.template) or self._sender is None:
            return
        try:
            sids = await self._sender.send(to, reply.parts)
            if reply.template is not None:
                sids.append(await self._send_choices(self._sender, to, reply, user))
        except DeliveryError as exc:
            self._failed(user, str(exc), maybe_sent=exc.maybe_sent)
            return
        except Exception as exc:  # a bug must not vanish into an unretrieved task
            log.exception("outbound.error", extra={"fields": {"user": user}})
            self._failed(user, repr(exc), maybe_sent=True)
            return
        self._metrics.outbound.labels("sent").inc(len(sids))
        log.info("outbound.sent", extra={"fields": {"user": user, "parts": len(sids)}})

    async def _send_choices(self, sender: Sender, to: str, reply: WhatsAppReply, user: str) -> str:
        """The interactive message; when Twilio takes no template (nothing was sent), its text
        alone, where the flows' words still say what can be typed."""
        assert reply.template is not None
        try:
            return await sender.send_interactive(to, reply.template, reply.variables)
        except DeliveryError as exc:
            if exc.maybe_sent:
                raise
            fields = {"user": user, "error": str(exc)}
            log.warning("outbound.interactive_failed", extra={"fields": fields})
            (sid,) = await sender.send(to, [reply.body])
            return sid

    def _failed(self, user: str, error: str, *, maybe_sent: bool) -> None:
        self._metrics.outbound.labels("failed").inc()
        self._metrics.errors.labels("outbound").inc()
        fields = {"user": user, "error": error, "maybe_sent": maybe_sent}
        log.error("outbound.failed", extra={"fields": fields})

    async def close(self) -> None:
        """Finish what can finish within the grace period; the rest is left to the next start."""
        if not self._tasks:
            return
        log.info("outbox.draining", extra={"fields": {"pending": len(self._tasks)}})
        _done, late = await asyncio.wait(list(self._tasks), timeout=self._grace)
        self._closing = True
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("outbox.left_pending", extra={"fields": {"count": len(late)}})
