"""An in-process store: for tests and for `chat --store memory`. Nothing survives a restart."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from bot.store.base import ConversationRow, ConversationStore, Session, status_rank


class MemoryStore(ConversationStore):
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._rows: list[ConversationRow] = []
        self._sids: set[str] = set()
        self._status: dict[str, str] = {}

    async def load_session(self, user_id: str) -> Session | None:
        found = self._sessions.get(user_id)
        return copy.deepcopy(found) if found else None

    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        self._sessions[session.user_id] = copy.deepcopy(session)
        self._rows.extend(rows)

    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        self._rows.extend(rows)

    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]:
        mine = [r for r in self._rows if r.user_id == user_id]
        return mine[-limit:] if limit else []

    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        if message_sid in self._sids:
            return False
        self._sids.add(message_sid)
        return True

    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        known = self._status.get(message_sid)
        if known is not None and status_rank(status) <= status_rank(known):
            return False
        self._status[message_sid] = status.lower()
        return True

    async def message_status(self, message_sid: str) -> str | None:
        return self._status.get(message_sid)

    async def purge_older_than(self, cutoff: float) -> int:
        before = len(self._rows)
        self._rows = [r for r in self._rows if r.timestamp >= cutoff]
        return before - len(self._rows)

    async def due_sessions(self, now: float, limit: int = 100) -> list[str]:
        due = [
            s.user_id
            for s in self._sessions.values()
            if s.timeout_at is not None and s.timeout_at <= now
        ]
        return due[:limit]

    async def active_sessions(self, since: float) -> int:
        return sum(1 for s in self._sessions.values() if s.last_activity >= since)

    async def ping(self) -> None:
        return None
