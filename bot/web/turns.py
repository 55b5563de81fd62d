"""Starting the turn of one inbound message, its claim (MessageSid, Slack event id) held while it
runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from bot.access.policy import Viewer
from bot.channels.twilio import InboundMessage
from bot.engine.turn import Inbound, TurnResult
from bot.store.base import ConversationStore
from bot.store.lease import claim_held


class TurnHandler(Protocol):
    async def handle(self, inbound: Inbound) -> TurnResult: ...


class Turns:
    def __init__(
        self,
        *,
        engine: TurnHandler,
        store: ConversationStore,
        renew_every: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._store = store
        self._renew_every = renew_every
        self._clock = clock

    def start(
        self, message: InboundMessage, *, viewer: Viewer | None = None
    ) -> asyncio.Future[TurnResult]:
        """The turn, running: a claim that outlasts the reclaim window stays this instance's.
        ``viewer`` is what the sender may read, when the caller already asked (else the
        engine asks)."""
        inbound = Inbound(
            user_id=message.sender,
            text=message.text,
            message_sid=message.message_sid,
            profile_name=message.profile_name,
            channel="whatsapp",
            received_at=self._clock(),
            media=message.num_media,
            viewer=viewer,
        )
        return self.run(inbound)

    def run(self, inbound: Inbound) -> asyncio.Future[TurnResult]:
        """The turn of a message any channel has already parsed, claimed under
        ``inbound.message_sid``."""
        return asyncio.ensure_future(self._run(inbound))

    async def _run(self, inbound: Inbound) -> TurnResult:
        assert inbound.message_sid is not None
        async with claim_held(self._store, inbound.message_sid, every=self._renew_every):
            return await self._engine.handle(inbound)
