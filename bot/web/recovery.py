"""Finishing turns that an instance acknowledged but never finished (it crashed or was killed).

A message answered with an empty ``<Response/>`` was kept in the store first (keep_pending);
Twilio will not send it again. Once its claim has gone stale (nobody renews it: its owner is
dead), any instance takes it over with an atomic claim, runs its turn and sends the reply through
the REST API. The turn's saved row marks it handled, so it is finished exactly once. Runs at
start-up and then every reclaim window, so survivors also finish a dead peer's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from bot.channels.twilio import InboundMessage
from bot.errors import BotError
from bot.store.base import ConversationStore
from bot.web.outbox import Outbox
from bot.web.turns import Turns

log = logging.getLogger("bot.web")


class Recovery:
    def __init__(
        self,
        *,
        store: ConversationStore,
        turns: Turns,
        outbox: Outbox,
        user_hash: Callable[[str], str],
        interval: float,
    ) -> None:
        self._store = store
        self._turns = turns
        self._outbox = outbox
        self._hash = user_hash
        self._interval = interval

    async def run_once(self) -> int:
        """Take over and restart every stale kept message; how many were restarted."""
        restarted = 0
        for kept in await self._store.pending_messages():
            if not await self._store.claim_message(kept.message_sid, kept.user_id):
                continue  # another instance got there first
            message = InboundMessage.from_pending(kept.message_sid, kept.user_id, kept.payload)
            user = self._hash(kept.user_id)
            self._outbox.deliver_later(message, self._turns.start(message), user)
            log.info("webhook.recovered", extra={"fields": {"user": user}})
            restarted += 1
        return restarted

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except BotError as exc:
                log.warning("recovery.failed", extra={"fields": {"error": str(exc)}})
            await asyncio.sleep(self._interval)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._loop(), name="recovery")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
