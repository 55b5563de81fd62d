"""An in-process store: for tests and for `chat --store memory`. Nothing survives a restart.

Sessions and rows go through the same encoding as in the SQL stores (JSON, NUL replaced) and
what they refuse is refused here too (text that is not valid Unicode, meta that is not JSON), so
code tested against it reads back exactly what a real database would give.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot.analytics.model import Analytics
from bot.analytics.reports import Reports
from bot.errors import StoreError
from bot.store import codec
from bot.store.analytics_memory import MemorySource
from bot.store.base import (
    ConversationRow,
    ConversationStore,
    PendingMessage,
    Session,
    status_rank,
)
from bot.store.members import AuditEntry, Member


class MemoryStore(ConversationStore):
    def __init__(
        self, *, reclaim_after_seconds: float = 15.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._reclaim_after = reclaim_after_seconds
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._rows: list[ConversationRow] = []
        # MessageSid -> claimed (or renewed) at, while not handled or its reply not sent
        self._claims: dict[str, float] = {}
        self._handled: set[str] = set()
        self._pending: dict[str, tuple[str, dict[str, Any]]] = {}  # sid -> user, payload
        self._owners: dict[str, str] = {}  # sid -> user of the claim
        self._replies: dict[str, str] = {}  # sid -> saved response, while kept
        self._status: dict[str, tuple[str, float]] = {}
        self._members: dict[str, Member] = {}
        self._audit: list[AuditEntry] = []
        self._refused: dict[str, float] = {}
        self._closed = False
        self._source = MemorySource(lambda: self._rows, lambda: self._refused)

    @property
    def analytics(self) -> Analytics:
        return _Checked(self._source, self._check_open)

    async def open(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the memory store is closed")

    async def load_session(self, user_id: str) -> Session | None:
        self._check_open()
        found = self._sessions.get(user_id)
        return copy.deepcopy(found) if found else None

    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        self._check_open()
        values = codec.session_values(session)
        encoded = codec.rows_values(rows)
        _validate(values, *encoded)
        user, data, last_activity, context, _timeout = values
        self._sessions[user] = codec.load_session(user, data, last_activity, context)
        self._keep(encoded)

    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        self._check_open()
        encoded = codec.rows_values(rows)
        _validate(*encoded)
        self._keep(encoded)

    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]:
        self._check_open()
        if limit <= 0:
            return []
        mine = sorted((r for r in self._rows if r.user_id == user_id), key=lambda r: r.timestamp)
        return mine[-limit:]

    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        self._check_open()
        now = self._clock()
        if message_sid in self._handled:
            return False
        claimed = self._claims.get(message_sid)
        if claimed is not None and claimed >= now - self._reclaim_after:
            return False
        self._claims[message_sid] = now
        self._owners[message_sid] = user_id
        return True

    async def renew_claim(self, message_sid: str) -> bool:
        self._check_open()
        if message_sid not in self._claims:
            return False
        self._claims[message_sid] = self._clock()
        return True

    async def keep_pending(self, message_sid: str, payload: dict[str, Any]) -> None:
        self._check_open()
        if message_sid in self._claims and message_sid not in self._handled:
            self._pending[message_sid] = (self._owners[message_sid], copy.deepcopy(payload))

    async def reply_sent(self, message_sid: str) -> None:
        self._check_open()
        self._pending.pop(message_sid, None)
        self._replies.pop(message_sid, None)
        if message_sid in self._handled:
            self._claims.pop(message_sid, None)
            self._owners.pop(message_sid, None)

    async def take_over(self, message_sid: str) -> bool:
        self._check_open()
        now = self._clock()
        if (
            message_sid not in self._pending
            or self._claims[message_sid] >= now - self._reclaim_after
        ):
            return False
        self._claims[message_sid] = now
        return True

    async def pending_messages(self, limit: int = 100) -> list[PendingMessage]:
        self._check_open()
        stale = self._clock() - self._reclaim_after
        found = sorted(
            (self._claims[sid], sid) for sid in self._pending if self._claims[sid] < stale
        )
        return [
            PendingMessage(
                sid,
                self._pending[sid][0],
                copy.deepcopy(self._pending[sid][1]),
                self._replies.get(sid, "") if sid in self._handled else None,
            )
            for _, sid in found[:limit]
        ]

    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        self._check_open()
        known = self._status.get(message_sid)
        if known is not None and status_rank(status) <= status_rank(known[0]):
            return False
        self._status[message_sid] = (status.lower(), timestamp)
        return True

    async def message_status(self, message_sid: str) -> str | None:
        self._check_open()
        known = self._status.get(message_sid)
        return known[0] if known else None

    async def purge_older_than(self, cutoff: float) -> int:
        self._check_open()
        before = len(self._rows)
        self._rows = [r for r in self._rows if r.timestamp >= cutoff]
        self._status = {k: v for k, v in self._status.items() if v[1] >= cutoff}
        self._refused = {k: v for k, v in self._refused.items() if v >= cutoff}
        return before - len(self._rows)

    async def due_sessions(self, now: float, limit: int = 100) -> list[str]:
        self._check_open()
        due = sorted(
            (s.timeout_at, s.user_id)
            for s in self._sessions.values()
            if s.timeout_at is not None and s.timeout_at <= now
        )
        return [user for _, user in due[:limit]]

    async def active_sessions(self, since: float) -> int:
        self._check_open()
        return sum(1 for s in self._sessions.values() if s.last_activity >= since)

    async def ping(self) -> None:
        self._check_open()

    async def member(self, user_id: str) -> Member | None:
        self._check_open()
        return self._members.get(user_id)

    async def members(self) -> list[Member]:
        self._check_open()
        return [self._members[k] for k in sorted(self._members)]

    async def set_member(self, member: Member, entry: AuditEntry) -> None:
        self._check_open()
        _validate((member.user_id, member.group, member.changed_by), (entry.actor,))
        self._members[member.user_id] = member
        self._audit.append(entry)

    async def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        self._check_open()
        newest = sorted(reversed(self._audit), key=lambda e: e.at, reverse=True)
        return newest[: max(limit, 0)]

    async def claim_refusal(self, user_id: str, now: float, every_seconds: float) -> bool:
        self._check_open()
        last = self._refused.get(user_id)
        if last is not None and last > now - every_seconds:
            return False
        self._refused[user_id] = now
        return True

    def _keep(self, encoded: list[codec.RowValues]) -> None:
        for row in _decoded(encoded):
            self._rows.append(row)
            self._source.note(row)
            sid = row.message_sid
            if sid is not None and sid in self._claims:
                self._handled.add(sid)
                if sid in self._pending:  # its reply still has to go out
                    self._replies[sid] = row.response
                else:
                    del self._claims[sid]
                    self._owners.pop(sid, None)


def _validate(*values: tuple[object, ...]) -> None:
    for group in values:
        for value in group:
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise StoreError(f"text cannot be stored: {exc}") from exc


def _decoded(encoded: list[codec.RowValues]) -> list[ConversationRow]:
    return [codec.load_row(values) for values in encoded]


class _Checked(Reports):
    """Reports that refuse to read a closed store, like the SQL stores do."""

    def __init__(self, source: MemorySource, check_open: Callable[[], None]) -> None:
        super().__init__(source)
        check_open()
