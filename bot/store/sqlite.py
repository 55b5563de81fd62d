"""The embedded default store: SQLite through aiosqlite, in WAL mode.

Writes go through a group committer (sqlite_writer.py) that commits whatever turns are waiting
as one transaction, each turn inside its own savepoint: one failing turn rolls back alone, and a
failed commit fails every turn of its batch. Reads use a second connection, so they never wait
behind a commit. A third connection checkpoints the WAL in the background, so the fsync of a
checkpoint never lands inside a turn. Every unit of work (a whole batch, one read) costs one hop
to the connection's thread rather than one per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from bot.errors import StoreError
from bot.store import access_sql, codec, migrations
from bot.store import sqlite_sql as sql
from bot.store.base import (
    ConversationRow,
    ConversationStore,
    PendingMessage,
    Session,
    status_rank,
)
from bot.store.members import AuditEntry, Member
from bot.store.sqlite_open import Opener, private_file
from bot.store.sqlite_writer import GroupCommitter, Work, run_on

if TYPE_CHECKING:
    from bot.analytics.model import Analytics

T = TypeVar("T")


class SqliteStore(ConversationStore):
    """``path`` is a file (its folder is created) or ``:memory:`` for a private database;
    with ``key`` the file is encrypted with SQLCipher (DATABASE_KEY)."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_batch: int = 512,
        busy_timeout_ms: int = 10_000,
        checkpoint_seconds: float = 1.0,
        auto_migrate: bool = True,
        reclaim_after_seconds: float = 15.0,
        clock: Callable[[], float] = time.time,
        inline_reads: bool = True,
        key: str = "",
    ) -> None:
        self.path = str(path)
        self._opener = Opener(self.path, key)
        self._errors = self._opener.errors
        self._busy = self._opener.busy
        self._read_errors: tuple[type[Exception], ...] = (*self._errors, ValueError)  # closed
        self._opening = asyncio.Lock()
        self._inline_reads = inline_reads and self.path != ":memory:"
        self._inline: sqlite3.Connection | None = None
        self._reclaim_after = reclaim_after_seconds
        self._clock = clock
        self._auto_migrate = auto_migrate
        self._checkpoint_every = checkpoint_seconds
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._max_batch = max_batch
        self._busy_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._committer: GroupCommitter | None = None

    async def open(self) -> None:
        async with self._opening:  # two opens at once must not leave a second set of threads
            if self._writer is None:
                await self._open()

    async def _open(self) -> None:
        opener = self._opener
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await opener.open(isolation_level=None)
            opened.append(writer)
            await run_on(
                writer, lambda c: sql.prepare(c, self.path, self._busy_ms, self._auto_migrate)
            )
            reader = writer
            if opener.on_disk:
                reader = await opener.open(isolation_level=None)
                opened.append(reader)
                await run_on(reader, lambda c: sql.prepare_reader(c, self._busy_ms))
                checkpointer = await opener.open(isolation_level=None)
                opened.append(checkpointer)
                await run_on(checkpointer, lambda c: sql.prepare_reader(c, self._busy_ms))
                private_file(Path(self.path))  # the WAL and SHM now exist: private too
            if self._inline_reads:
                self._inline = sql.inline_reader(opener)
        except BaseException as exc:
            for conn in reversed(opened):
                await _close(conn, self._errors)
            if isinstance(exc, self._errors):
                raise StoreError(f"cannot use the SQLite database {self.path}: {exc}") from exc
            raise
        self._writer, self._reader = writer, reader
        self._committer = GroupCommitter(writer, where=self.path, max_batch=self._max_batch)
        if opener.on_disk:
            self._checkpointer = checkpointer
            self._checkpoint_task = asyncio.create_task(
                self._checkpoint_loop(checkpointer), name="sqlite-checkpoint"
            )

    async def close(self) -> None:
        """Every connection is closed, whatever fails or is cancelled on the way: a connection
        left open keeps a worker thread (and the database) busy."""
        writer, reader, committer = self._writer, self._reader, self._committer
        if writer is None:
            return
        # New writes are refused from here; the ones already queued are still committed.
        self._writer = self._reader = None
        inline, self._inline = self._inline, None
        if inline is not None:
            inline.close()
        self._committer = None
        try:
            if committer is not None:
                await committer.close()
        finally:
            try:
                await self._stop_checkpoints()
            finally:
                if reader is not None and reader is not writer:
                    await _close(reader, self._errors)
                await _close(writer, self._errors)

    # -- reads: one hop on the reader connection

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        reader = self._reader
        if reader is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        try:
            return await run_on(reader, work)
        except self._read_errors as exc:
            raise StoreError(f"SQLite {self.path}: {exc}") from exc

    async def load_session(self, user_id: str) -> Session | None:
        # A session is one primary-key lookup: tens of microseconds, less than the thread hop
        # it would cost, and WAL readers never wait for the writer. Should the database be
        # busy anyway (another process holding it), the read goes to the reader thread.
        inline = self._inline
        if inline is not None:
            try:
                return sql.load_session(inline, user_id)
            except self._busy:
                pass
            except self._errors as exc:
                raise StoreError(f"SQLite {self.path}: {exc}") from exc
        return await self._read(lambda c: sql.load_session(c, user_id))

    async def load_turn(self, user_id: str, message_sid: str) -> tuple[Session | None, bool]:
        inline = self._inline  # a point lookup, inline like load_session
        if inline is not None:
            try:
                return sql.load_turn(inline, user_id, message_sid)
            except self._busy:
                pass
            except self._errors as exc:
                raise StoreError(f"SQLite {self.path}: {exc}") from exc
        return await self._read(lambda c: sql.load_turn(c, user_id, message_sid))

    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]:
        if limit <= 0:
            return []
        return await self._read(lambda c: sql.history(c, user_id, limit))

    async def message_status(self, message_sid: str) -> str | None:
        return await self._read(lambda c: sql.message_status(c, message_sid))

    async def due_sessions(self, now: float, limit: int = 100) -> list[str]:
        return await self._read(lambda c: sql.due_sessions(c, now, limit))

    async def active_sessions(self, since: float) -> int:
        return await self._read(lambda c: sql.active_sessions(c, since))

    async def ping(self) -> None:
        await self._read(lambda c: c.execute("SELECT 1").fetchone())

    @property
    def analytics(self) -> Analytics:
        # Imported when the dashboard first asks: the chat and the webhook never do.
        from bot.analytics.reports import Reports
        from bot.store.analytics_sql import SqlSource

        return Reports(SqlSource(self._select))

    async def _select(self, query: str, args: Sequence[Any]) -> list[Sequence[Any]]:
        found: list[Sequence[Any]] = await self._read(lambda c: c.execute(query, args).fetchall())
        return found

    async def schema_version(self) -> int:
        return await self._read(sql.schema_version)

    def latest_schema_version(self) -> int:
        return migrations.latest_version(migrations.SQLITE)

    async def migrate(self) -> list[int]:
        writer = self._writer
        if writer is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        return await run_on(writer, lambda c: sql.migrate(c, self.path))

    # -- writes: queued for the writer task, committed in batches

    async def _write(self, work: Work) -> Any:
        if self._committer is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        return await self._committer.submit(work)

    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        s, r, now = codec.session_values(session), codec.rows_values(rows), self._clock()
        await self._write(lambda c: sql.save_turn(c, s, r, now))

    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        r, now = codec.rows_values(rows), self._clock()
        if r:
            await self._write(lambda c: sql.insert_rows(c, r, now))

    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        now = self._clock()
        values = (message_sid, user_id, now, now - self._reclaim_after)
        return bool(await self._write(lambda c: sql.claim(c, values)))

    async def renew_claim(self, message_sid: str) -> bool:
        now = self._clock()
        return bool(await self._write(lambda c: sql.renew_claim(c, message_sid, now)))

    async def keep_pending(self, message_sid: str, user_id: str, payload: dict[str, Any]) -> None:
        values = (message_sid, user_id, self._clock(), json.dumps(payload, ensure_ascii=False))
        await self._write(lambda c: sql.keep_pending(c, values))

    async def reply_sent(self, message_sid: str) -> None:
        await self._write(lambda c: sql.reply_sent(c, message_sid))

    async def take_over(self, message_sid: str) -> bool:
        now = self._clock()
        stale = now - self._reclaim_after
        return bool(await self._write(lambda c: sql.take_over(c, message_sid, now, stale)))

    async def pending_messages(self, limit: int = 100) -> list[PendingMessage]:
        stale_before = self._clock() - self._reclaim_after
        return await self._read(lambda c: sql.pending_messages(c, stale_before, limit))

    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        values = (message_sid, status.lower(), status_rank(status), timestamp, error_code)
        return bool(await self._write(lambda c: sql.record_status(c, values)))

    async def purge_older_than(self, cutoff: float) -> int:
        return int(await self._write(lambda c: sql.purge(c, cutoff)))

    # -- access

    async def member(self, user_id: str) -> Member | None:
        # Asked on every inbound message: a point lookup, inline like load_session.
        def work(c: sqlite3.Connection) -> Member | None:
            found = c.execute(access_sql.SELECT_MEMBER, (user_id,)).fetchone()
            return access_sql.load_member(found) if found else None

        inline = self._inline
        if inline is not None:
            with contextlib.suppress(sqlite3.OperationalError):
                return work(inline)
        return await self._read(work)

    async def members(self) -> list[Member]:
        found = await self._read(lambda c: c.execute(access_sql.SELECT_MEMBERS).fetchall())
        return [access_sql.load_member(r) for r in found]

    async def set_member(self, member: Member, entry: AuditEntry) -> None:
        m, e = access_sql.member_values(member), access_sql.audit_values(entry)

        def work(c: sqlite3.Connection) -> None:
            c.execute(access_sql.UPSERT_MEMBER, m)
            c.execute(access_sql.INSERT_AUDIT, e)

        await self._write(work)

    async def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        found = await self._read(lambda c: c.execute(access_sql.SELECT_AUDIT, (limit,)).fetchall())
        return [access_sql.load_audit(r) for r in found]

    async def claim_refusal(self, user_id: str, now: float, every_seconds: float) -> bool:
        values = (user_id, now, now - every_seconds)
        return bool(
            await self._write(lambda c: c.execute(access_sql.CLAIM_REFUSAL, values).rowcount == 1)
        )

    async def _checkpoint_loop(self, conn: aiosqlite.Connection) -> None:
        done = 0
        while True:
            await asyncio.sleep(self._checkpoint_every)
            commits = self._committer.commits if self._committer else done
            if commits != done:
                done = commits
                with contextlib.suppress(*self._errors):  # busy: the next round catches up
                    await run_on(conn, lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)"))

    async def _stop_checkpoints(self) -> None:
        task, conn = self._checkpoint_task, self._checkpointer
        self._checkpoint_task = self._checkpointer = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if conn is not None:
            try:
                with contextlib.suppress(*self._errors):  # leave a short WAL behind
                    await run_on(conn, lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
            finally:
                await _close(conn, self._errors)


async def _close(conn: aiosqlite.Connection, errors: tuple[type[Exception], ...]) -> None:
    """Close the connection and end its worker thread (aiosqlite ends it even on an error)."""
    with contextlib.suppress(*errors):
        await conn.close()
