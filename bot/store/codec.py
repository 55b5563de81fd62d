"""Turning sessions and rows into column values and back, shared by the SQL stores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.errors import StoreError
from bot.store.base import ConversationRow, Session

SessionValues = tuple[str, str, float, str, float | None]
RowValues = tuple[str, str, str, float, str, str | None, str, str | None, float | None, str]


def dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} cannot be stored as JSON: {exc}") from exc


def session_values(session: Session) -> SessionValues:
    return (
        session.user_id,
        dumps(session.to_data(), f"session of {session.user_id!r}"),
        session.last_activity,
        dumps(session.context, f"user_context of {session.user_id!r}"),
        session.timeout_at,
    )


def row_values(row: ConversationRow) -> RowValues:
    return (
        row.user_id,
        row.message,
        row.response,
        row.timestamp,
        row.message_type,
        row.message_sid,
        row.state,
        row.intent,
        row.score,
        dumps(row.meta, "conversation row meta"),
    )


def rows_values(rows: Sequence[ConversationRow]) -> list[RowValues]:
    return [row_values(r) for r in rows]


def load_session(
    user_id: str, data: str | dict[str, Any], last_activity: float, context: str | dict[str, Any]
) -> Session:
    as_data = json.loads(data) if isinstance(data, str) else data
    as_context = json.loads(context) if isinstance(context, str) else context
    return Session.from_data(user_id, as_data, float(last_activity), dict(as_context or {}))


def load_row(values: Sequence[Any]) -> ConversationRow:
    (user_id, message, response, timestamp, message_type, sid, state, intent, score, meta) = values
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
        meta=json.loads(meta) if isinstance(meta, str) else dict(meta or {}),
    )


ROW_COLUMNS = (
    "phone_number, message, response, timestamp, message_type, message_sid, state, intent, "
    "score, meta"
)
