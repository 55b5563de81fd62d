"""A turn under way in the engine: what it moves, and what a failure rolls it back to."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine.conversation import Conversation
from bot.engine.machine import CompiledFlows
from bot.engine.reply import Choice
from bot.engine.turn import Inbound
from bot.store.base import MessageType, Session

log = logging.getLogger("bot.engine")


@dataclass(slots=True)
class TurnUnderway:
    """One turn under way: the session it moves, and the snapshot a failure rolls back to."""

    inbound: Inbound
    compiled: CompiledFlows
    convo: Conversation
    session: Session
    before: Session
    message_type: MessageType = MessageType.TEXT
    choices: tuple[Choice, ...] = ()  # what the reply offers to tap; none after a failure

    async def run(self, step: Callable[[], Awaitable[MessageType]]) -> None:
        try:
            self.message_type = await step()
            self.choices = self.convo.choices()
        except Exception:
            log.exception("turn.failed", extra={"state": self.before.state})
            # Rolled back: the session as it was, saying the flows' `error` message.
            self.session = self.before
            self.convo.state = self.before.state
            self.convo.replies[:] = [self.convo.message("error")]
            self.message_type = MessageType.ERROR


def deadline(compiled: CompiledFlows, state_id: str, since: float | None) -> float | None:
    """When ``state_id``'s own timeout fires, counted from ``since``; None when it has none."""
    state = compiled.state(state_id) if since is not None else None
    if since is None or state is None or state.timeout is None:
        return None
    return since + state.timeout.seconds
