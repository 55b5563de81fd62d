"""Finishing turns that an instance acknowledged but never finished (it crashed or was killed).

A message answered with an empty ``<Response/>`` was kept in the store first (keep_pending);
Twilio will not send it again. It stays kept until its reply has gone out. Once its claim has
gone stale (nobody renews it: its owner is dead), any instance takes it over atomically and runs
its turn, or, when the turn had been saved, sends the saved reply without running it again. Runs
at start-up and then every reclaim window, so survivors also finish a dead peer's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from bot.background import background
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
            if not await self._store.take_over(kept.message_sid):
                continue  # another instance got there first
            message = InboundMessage.from_pending(kept.message_sid, kept.user_id, kept.payload)
            user = self._hash(kept.user_id)
            if kept.reply is None:  # the turn never ended: run it
                self._outbox.deliver_later(message, self._turns.start(message), user)
            else:  # the turn was saved, its reply never went out: send it, do not redo it
                self._outbox.send_saved(message, (kept.reply,), user)
            fields = {"user": user, "turn": kept.reply is None}
            log.info("webhook.recovered", extra={"fields": fields})
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
        async with background(self._loop(), name="recovery"):
            yield
