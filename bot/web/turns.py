"""Starting the turn of one inbound message (WhatsApp, Slack, Teams), and keeping one that gets
no turn; what a failed turn says. Channels reach the engine through here only."""

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

    def failure_text(self) -> str: ...


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
        return self.run(self._inbound(message, viewer))

    def run(self, inbound: Inbound) -> asyncio.Future[TurnResult]:
        """The turn of a message any channel has parsed; its save claims ``inbound.message_sid``
        (a Slack event id, a Teams activity key): a retry comes back as a duplicate."""
        return asyncio.ensure_future(self._engine.handle(inbound))

    async def keep(self, inbound: Inbound, response: str, message_type: MessageType) -> bool:
        """Keep a message of any channel that gets no turn; False: handled already."""
        return await self._engine.record(inbound, response, message_type)

    def failure_text(self) -> str:
        """What a turn that failed outside the engine says (the flows' `error` message)."""
        return self._engine.failure_text()

    async def record(
        self, message: InboundMessage, response: str, message_type: MessageType
    ) -> bool:
        """Keep a message that gets no turn (over the rate limit) and what it was answered;
        False: it was handled already (a retry)."""
        return await self.keep(self._inbound(message, None), response, message_type)

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
