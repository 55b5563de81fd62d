"""Turning sessions and rows into column values and back, shared by the SQL stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from bot.errors import StoreError
from bot.store.base import ConversationRow, Session

SessionValues = tuple[str, str, float, str, float | None]
RowValues = tuple[
    str, str, str, float, str, str | None, str, str | None, float | None, str,
    str, str, float | None, str, float | None, str,
]  # fmt: skip


# PostgreSQL refuses NUL in text and in JSON; every store replaces it the same way, so a
# control character in a message never costs a turn and all backends read back the same text.
NUL_STAND_IN = "\ufffd"


def text(value: str) -> str:
    return value.replace("\x00", NUL_STAND_IN) if "\x00" in value else value


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(str(k)): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def dumps(value: Any, what: str) -> str:
    # orjson: the session is encoded on every turn, and the standard encoder was the largest
    # single cost of a turn.
    try:
        dumped = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        if b"\\u0000" in dumped:
            dumped = orjson.dumps(_scrub(value), option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise StoreError(f"{what} cannot be stored as JSON: {exc}") from exc
    return dumped.decode()


def session_values(session: Session) -> SessionValues:
    return (
        session.user_id,
        dumps(session.to_data(), "a session"),
        session.last_activity,
        dumps(session.context, "a user context"),
        session.timeout_at,
    )


def row_values(row: ConversationRow) -> RowValues:
    return (
        row.user_id,
        text(row.message),
        text(row.response),
        row.timestamp,
        row.message_type,
        row.message_sid,
        row.state,
        row.intent,
        row.score,
        dumps(row.meta, "conversation row meta"),
        text(row.channel),
        text(row.state_before),
        row.latency_ms,
        row.outcome,
        row.started,
        " ".join(row.actions),
    )


def rows_values(rows: Sequence[ConversationRow]) -> list[RowValues]:
    return [row_values(r) for r in rows]


def load_session(
    user_id: str, data: str | dict[str, Any], last_activity: float, context: str | dict[str, Any]
) -> Session:
    as_data = orjson.loads(data) if isinstance(data, str) else data
    as_context = orjson.loads(context) if isinstance(context, str) else context
    return Session.from_data(user_id, as_data, float(last_activity), dict(as_context or {}))


def load_row(values: Sequence[Any]) -> ConversationRow:
    (user_id, message, response, timestamp, message_type, sid, state, intent, score, meta) = values[
        :10
    ]
    channel, state_before, latency_ms, outcome, started, actions = values[10:16]
    return ConversationRow(
        user_id=user_id,
        message=message,
        response=response,
        timestamp=float(timestamp),
        message_type=message_type,
        message_sid=sid,
        state=state,
        intent=intent,
        score=None if score is None else float(score),
        meta=orjson.loads(meta) if isinstance(meta, str) else dict(meta or {}),
        channel=channel,
        state_before=state_before,
        latency_ms=None if latency_ms is None else float(latency_ms),
        outcome=outcome,
        started=None if started is None else float(started),
        actions=tuple(actions.split()),
    )


ROW_COLUMNS = (
    "phone_number, message, response, timestamp, message_type, message_sid, state, intent, "
    "score, meta, channel, state_before, latency_ms, outcome, started, actions"
)
