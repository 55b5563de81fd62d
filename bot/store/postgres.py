"""PostgreSQL through an asyncpg pool: the store for several instances sharing one database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from bot.analytics.model import Analytics
from bot.analytics.reports import Reports
from bot.errors import StoreError
from bot.store import access_sql, analytics_schema, codec, migrations
from bot.store.analytics_sql import SqlSource
from bot.store.base import (
    ConversationRow,
    ConversationStore,
    PendingMessage,
    Session,
    status_rank,
)
from bot.store.members import AuditEntry, Member
from bot.store.urls import redacted

_UPSERT_SESSION = """
INSERT INTO user_sessions (phone_number, session_data, last_activity, user_context, timeout_at)
VALUES ($1, $2::jsonb, $3, $4::jsonb, $5)
ON CONFLICT (phone_number) DO UPDATE SET
    session_data = excluded.session_data,
    last_activity = excluded.last_activity,
    user_context = excluded.user_context,
    timeout_at = excluded.timeout_at
"""
_ROWS_FROM = (
    "SELECT * FROM unnest({0}::text[], {1}::text[], {2}::text[], {3}::float8[], {4}::text[], "
    "{5}::text[], {6}::text[], {7}::text[], {8}::float8[], {9}::jsonb[], {10}::text[], "
    "{11}::text[], {12}::float8[], {13}::text[], {14}::float8[], {15}::text[])"
)
_ROW_FIELDS = 16
_HANDLED = "UPDATE inbound_messages SET handled = true WHERE message_sid = ANY({0}::text[])"
_INSERT_ROWS = (
    f"WITH handled AS ({_HANDLED.format('$6')}) "
    f"INSERT INTO conversations ({codec.ROW_COLUMNS}) "
    + _ROWS_FROM.format(*(f"${n}" for n in range(1, 1 + _ROW_FIELDS)))
)
_SAVE_TURN = (
    f"WITH saved AS ({_UPSERT_SESSION}), handled AS ({_HANDLED.format('$11')}) "
    f"INSERT INTO conversations ({codec.ROW_COLUMNS}) "
    + _ROWS_FROM.format(*(f"${n}" for n in range(6, 6 + _ROW_FIELDS)))
)
_CLAIM = """
INSERT INTO inbound_messages (message_sid, phone_number, received_at) VALUES ($1, $2, $3)
ON CONFLICT (message_sid) DO UPDATE SET
    received_at = excluded.received_at, phone_number = excluded.phone_number
WHERE inbound_messages.handled = false AND inbound_messages.received_at < $4
RETURNING 1
"""
_UPSERT_STATUS = """
INSERT INTO outbound_status (message_sid, status, status_rank, updated_at, error_code)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (message_sid) DO UPDATE SET
    status = excluded.status,
    status_rank = excluded.status_rank,
    updated_at = excluded.updated_at,
    error_code = excluded.error_code
WHERE excluded.status_rank > outbound_status.status_rank
RETURNING 1
"""
_SELECT_MEMBER = access_sql.numbered(access_sql.SELECT_MEMBER)
_SELECT_MEMBERS = access_sql.SELECT_MEMBERS
_SELECT_AUDIT = access_sql.numbered(access_sql.SELECT_AUDIT)
_SET_MEMBER = access_sql.numbered(
    f"WITH m AS ({access_sql.UPSERT_MEMBER}) {access_sql.INSERT_AUDIT}"
)
_CLAIM_REFUSAL = access_sql.numbered(access_sql.CLAIM_REFUSAL) + " RETURNING 1"
# Serialises migrations across instances starting at the same time.
_MIGRATION_LOCK = 0x0C0DEC4A7


class PostgresStore(ConversationStore):
    """``schema`` puts the tables in a schema of their own (tests; several bots in one db)."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        schema: str = "",
        connect_timeout: float = 5.0,
        auto_migrate: bool = True,
        reclaim_after_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._reclaim_after = reclaim_after_seconds
        self._clock = clock
        self._auto_migrate = auto_migrate
        self._pool_size = pool_size
        self._schema = schema
        self._timeout = connect_timeout
        self._pool: asyncpg.Pool | None = None

    @property
    def where(self) -> str:
        return f"PostgreSQL {redacted(self.url)}" + (
            f" (schema {self._schema})" if self._schema else ""
        )

    async def open(self) -> None:
        if self._pool is not None:
            return
        settings = {"search_path": self._schema} if self._schema else {}
        try:
            pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self._pool_size,
                timeout=self._timeout,
                # A database that stops answering must not hold a webhook until Twilio gives up.
                command_timeout=10.0,
                server_settings=settings,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(f"cannot connect to {self.where}: {exc}") from exc
        except ValueError as exc:  # asyncpg's own parsing of the URL
            raise StoreError(f"{self.where} is not a usable PostgreSQL URL: {exc}") from exc
        try:
            if self._auto_migrate:
                await self._migrate(pool)
            else:
                current = await self._version(pool)
                migrations.pending(migrations.POSTGRES, current, self.where)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _version(self, pool: asyncpg.Pool) -> int:
        exists = await pool.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(await pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    def latest_schema_version(self) -> int:
        return migrations.latest_version(migrations.POSTGRES)

    async def migrate(self) -> list[int]:
        return await self._migrate(self._ready())

    async def _migrate(self, pool: asyncpg.Pool) -> list[int]:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute(migrations.CREATE_VERSION_TABLE)
            current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            todo = migrations.pending(migrations.POSTGRES, int(current), self.where)
            for m in todo:
                for statement in m.statements:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    time.time(),
                )
        return [m.version for m in todo]

    def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError(f"the store on {self.where} is closed")
        return self._pool

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        try:
            return list(await self._ready().fetch(query, *args))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(f"{self.where}: {exc}") from exc

    async def load_session(self, user_id: str) -> Session | None:
        found = await self._fetch(
            "SELECT session_data::text, last_activity, user_context::text FROM user_sessions "
            "WHERE phone_number = $1",
            user_id,
        )
        return codec.load_session(user_id, *found[0]) if found else None

    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        # One statement is one transaction and one round trip: the session upsert runs as a
        # data-modifying CTE beside the inserts of the rows.
        s, r = codec.session_values(session), codec.rows_values(rows)
        try:
            await self._ready().execute(_SAVE_TURN, *s, *_columns(r))
        except (
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            UnicodeError,
            TimeoutError,
        ) as exc:
            raise StoreError(f"{self.where}: the turn was not saved: {exc}") from exc

    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        r = codec.rows_values(rows)
        if not r:
            return
        try:
            await self._ready().execute(_INSERT_ROWS, *_columns(r))
        except (
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            UnicodeError,
            TimeoutError,
        ) as exc:
            raise StoreError(f"{self.where}: rows were not saved: {exc}") from exc

    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]:
        if limit <= 0:
            return []
        cols = codec.ROW_COLUMNS.replace("meta", "meta::text")
        found = await self._fetch(
            f"SELECT {cols} FROM conversations WHERE phone_number = $1 "
            "ORDER BY timestamp DESC, id DESC LIMIT $2",
            user_id,
            limit,
        )
        return [codec.load_row(tuple(r)) for r in reversed(found)]

    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        now = self._clock()
        found = await self._fetch(_CLAIM, message_sid, user_id, now, now - self._reclaim_after)
        return bool(found)

    async def renew_claim(self, message_sid: str) -> bool:
        # received_at is the time of the latest claim: renewing it is the owner's lease.
        found = await self._fetch(
            "UPDATE inbound_messages SET received_at = $1 "
            "WHERE message_sid = $2 AND (handled = false OR pending IS NOT NULL) RETURNING 1",
            self._clock(),
            message_sid,
        )
        return bool(found)

    async def keep_pending(self, message_sid: str, payload: dict[str, Any]) -> None:
        await self._fetch(
            "UPDATE inbound_messages SET pending = $1::jsonb "
            "WHERE message_sid = $2 AND handled = false",
            json.dumps(payload, ensure_ascii=False),
            message_sid,
        )

    async def reply_sent(self, message_sid: str) -> None:
        await self._fetch(
            "UPDATE inbound_messages SET pending = NULL WHERE message_sid = $1", message_sid
        )

    async def take_over(self, message_sid: str) -> bool:
        now = self._clock()
        found = await self._fetch(
            "UPDATE inbound_messages SET received_at = $1 WHERE message_sid = $2 "
            "AND pending IS NOT NULL AND received_at < $3 RETURNING 1",
            now,
            message_sid,
            now - self._reclaim_after,
        )
        return bool(found)

    async def pending_messages(self, limit: int = 100) -> list[PendingMessage]:
        found = await self._fetch(
            "SELECT i.message_sid, i.phone_number, i.pending::text, i.handled, "
            "(SELECT c.response FROM conversations c WHERE c.message_sid = i.message_sid "
            "ORDER BY c.id DESC LIMIT 1) "
            "FROM inbound_messages i WHERE i.pending IS NOT NULL AND i.received_at < $1 "
            "ORDER BY i.received_at LIMIT $2",
            self._clock() - self._reclaim_after,
            limit,
        )
        return [
            PendingMessage(r[0], r[1], json.loads(r[2]), (r[4] or "") if r[3] else None)
            for r in found
        ]

    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        values = (message_sid, status.lower(), status_rank(status), timestamp, error_code)
        return bool(await self._fetch(_UPSERT_STATUS, *values))

    async def message_status(self, message_sid: str) -> str | None:
        found = await self._fetch(
            "SELECT status FROM outbound_status WHERE message_sid = $1", message_sid
        )
        return str(found[0][0]) if found else None

    async def purge_older_than(self, cutoff: float) -> int:
        totals = analytics_schema.purge_statements(cutoff)
        found = await self._fetch(
            "WITH gone AS (DELETE FROM conversations WHERE timestamp < $1 RETURNING 1), "
            "d AS (DELETE FROM inbound_messages WHERE received_at < $1), "
            "s AS (DELETE FROM outbound_status WHERE updated_at < $1), "
            "r AS (DELETE FROM access_refusals WHERE refused_at < $1), "
            + ", ".join(
                f"t{i} AS ({statement.replace('?', f'${i + 2}')})"
                for i, (statement, _) in enumerate(totals)
            )
            + " SELECT COUNT(*) FROM gone",
            cutoff,
            *(args[0] for _, args in totals),
        )
        return int(found[0][0])

    async def due_sessions(self, now: float, limit: int = 100) -> list[str]:
        found = await self._fetch(
            "SELECT phone_number FROM user_sessions WHERE timeout_at IS NOT NULL "
            "AND timeout_at <= $1 ORDER BY timeout_at LIMIT $2",
            now,
            limit,
        )
        return [str(r[0]) for r in found]

    async def active_sessions(self, since: float) -> int:
        found = await self._fetch(
            "SELECT COUNT(*) FROM user_sessions WHERE last_activity >= $1", since
        )
        return int(found[0][0])

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    @property
    def analytics(self) -> Analytics:
        return Reports(SqlSource(self._select, meta_text="meta::text"))

    async def _select(self, query: str, args: Sequence[Any]) -> list[Sequence[Any]]:
        return [tuple(r) for r in await self._fetch(access_sql.numbered(query), *args)]

    # -- access

    async def member(self, user_id: str) -> Member | None:
        found = await self._fetch(_SELECT_MEMBER, user_id)
        return access_sql.load_member(found[0]) if found else None

    async def members(self) -> list[Member]:
        return [access_sql.load_member(r) for r in await self._fetch(_SELECT_MEMBERS)]

    async def set_member(self, member: Member, entry: AuditEntry) -> None:
        # One statement, one transaction: the member and its audit entry go in together.
        m, e = access_sql.member_values(member), access_sql.audit_values(entry)
        await self._fetch(_SET_MEMBER, *m, *e)

    async def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        return [access_sql.load_audit(r) for r in await self._fetch(_SELECT_AUDIT, limit)]

    async def claim_refusal(self, user_id: str, now: float, every_seconds: float) -> bool:
        return bool(await self._fetch(_CLAIM_REFUSAL, user_id, now, now - every_seconds))

    async def schema_version(self) -> int:
        try:
            return await self._version(self._ready())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            raise StoreError(f"{self.where}: {exc}") from exc


def _columns(rows: list[codec.RowValues]) -> list[list[object]]:
    """Rows as column arrays, for unnest()."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * _ROW_FIELDS
