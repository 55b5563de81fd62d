"""Starting the turn of one inbound WhatsApp message, and keeping one that gets no turn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from bot.access.policy import Viewer
from bot.channels.twilio import InboundMessage
from bot.engine.turn import Inbound, TurnResult
from bot.store.base import MessageType


class TurnHandler(Protocol):
    async def handle(self, inbound: Inbound) -> TurnResult: ...

    async def record(self, inbound: Inbound, response: str, message_type: MessageType) -> bool: ...


class Turns:
    def __init__(self, *, engine: TurnHandler, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    def start(
        self, message: InboundMessage, *, viewer: Viewer | None = None
    ) -> asyncio.Future[TurnResult]:
        """The turn, running. ``viewer`` is what the sender may read, when the caller already
        asked (else the engine asks). Its save claims the MessageSid: a retry of a message
        answered already comes back as a duplicate with nothing to send."""
        return asyncio.ensure_future(self._engine.handle(self._inbound(message, viewer)))

    async def record(
        self, message: InboundMessage, response: str, message_type: MessageType
    ) -> bool:
        """Keep a message that gets no turn (over the rate limit) and what it was answered;
        False: it was handled already (a retry)."""
        return await self._engine.record(self._inbound(message, None), response, message_type)

    def _inbound(self, message: InboundMessage, viewer: Viewer | None) -> Inbound:
        return Inbound(
            user_id=message.sender,
            text=message.text,
            message_sid=message.message_sid,
            profile_name=message.profile_name,
            channel="whatsapp",
            received_at=self._clock(),
            media=message.num_media,
            viewer=viewer,
        )
