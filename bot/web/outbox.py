"""Replies that missed the webhook's budget: sent through the REST API when their turn ends.

Every such delivery is a tracked task. At shutdown they get a grace period to finish; a turn still
running after it is cancelled. Its message was kept in the store before it was acknowledged
(keep_pending), and the next instance to start finishes it (bot/web/recovery.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.channels.twilio import InboundMessage, split_replies
from bot.channels.twilio_rest import Sender
from bot.engine.turn import TurnResult
from bot.errors import DeliveryError
from bot.web.metrics import Metrics

log = logging.getLogger("bot.web")


@dataclass(slots=True)
class _Pending:
    message: InboundMessage
    turn: asyncio.Future[TurnResult]
    user: str  # hashed, for logs


class Outbox:
    def __init__(
        self,
        *,
        sender: Sender | None,
        metrics: Metrics,
        max_reply_chars: int,
        failure_text: str,
        grace_seconds: float = 10.0,
    ) -> None:
        self._sender = sender
        self._metrics = metrics
        self._max_chars = max_reply_chars
        self._failure_text = failure_text
        self._grace = grace_seconds
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
        pending = _Pending(message, turn, user)
        task = asyncio.create_task(self._deliver(pending))
        self._tasks[task] = pending
        task.add_done_callback(self._tasks.pop)

    async def _deliver(self, pending: _Pending) -> None:
        try:
            result = await pending.turn
            replies: tuple[str, ...] = result.replies
        except Exception:
            log.exception("turn.failed", extra={"fields": {"user": pending.user}})
            self._metrics.errors.labels("turn").inc()
            replies = (self._failure_text,)
        parts = split_replies(replies, self._max_chars)
        if not parts or self._sender is None:
            return
        if self._closing:  # the turn ended after the grace period: its reply stays in the store
            log.warning("outbound.abandoned", extra={"fields": {"user": pending.user}})
            return
        message = pending.message
        try:
            sids = await self._sender.send(message.sender, parts, from_=message.to)
        except DeliveryError as exc:
            self._failed(pending, str(exc), maybe_sent=exc.maybe_sent)
            return
        except Exception as exc:  # a bug must not vanish into an unretrieved task
            log.exception("outbound.error", extra={"fields": {"user": pending.user}})
            self._failed(pending, repr(exc), maybe_sent=True)
            return
        self._metrics.outbound.labels("sent").inc(len(sids))
        log.info("outbound.sent", extra={"fields": {"user": pending.user, "parts": len(sids)}})

    def _failed(self, pending: _Pending, error: str, *, maybe_sent: bool) -> None:
        self._metrics.outbound.labels("failed").inc()
        self._metrics.errors.labels("outbound").inc()
        fields = {"user": pending.user, "error": error, "maybe_sent": maybe_sent}
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
