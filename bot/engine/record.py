"""The conversation row a turn leaves behind, with what the dashboard reads from it: the
channel, the state before, the reply latency, the outcome, the conversation it belongs to and
the actions it ran (bot/analytics/model.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.base import ConversationRow, Session

if TYPE_CHECKING:
    from bot.engine.conversation import Conversation
    from bot.engine.turn import Inbound

# session.context[CONVERSATION] = {"started": epoch seconds, "channel": "whatsapp"}
CONVERSATION = "conversation"
# The turn's message type when it says the turn's outcome itself.
_OUTCOMES = {"error": "error", "empty": "empty", "too_long": "too_long"}


def conversation_of(
    session: Session, before: Session, inbound: Inbound, now: float, *, restarted: bool, tick: bool
) -> tuple[float, str]:
    """(started, channel) of the conversation this turn belongs to. A new one starts with a
    sender's first turn and when they come back after the inactivity timeout; a state
    timeout firing (``tick``) stays in the conversation and on the channel it fired for."""
    known: Any = session.context.get(CONVERSATION)
    started = known.get("started") if isinstance(known, dict) else None
    channel = known.get("channel") if isinstance(known, dict) else None
    if before.state and not restarted and isinstance(started, int | float):
        return float(started), str(channel or inbound.channel)
    channel = str(channel or "") if tick else inbound.channel
    session.context[CONVERSATION] = {"started": now, "channel": channel}
    return now, channel


def turn_row(
    inbound: Inbound,
    convo: Conversation,
    *,
    before: Session,
    session: Session,
    message_type: str,
    now: float,
    latency_ms: float | None,
    tick: bool,
) -> ConversationRow:
    restarted = message_type == "timeout" and not tick  # back after the inactivity timeout
    started, channel = conversation_of(
        session, before, inbound, now, restarted=restarted, tick=tick
    )
    outcome = "timeout" if tick and message_type != "error" else None
    return ConversationRow(
        user_id=inbound.user_id,
        message=inbound.text,
        response="\n\n".join(convo.replies),
        timestamp=now,
        message_type=message_type,
        message_sid=inbound.message_sid,
        state=convo.state,
        intent=convo.intent,
        score=convo.score,
        meta=convo.meta,
        channel=channel,
        state_before=before.state,
        latency_ms=None if tick or latency_ms is None else round(latency_ms, 1),
        outcome=outcome or _OUTCOMES.get(message_type, convo.outcome),
        started=started,
        actions=tuple(convo.actions_run),
    )
