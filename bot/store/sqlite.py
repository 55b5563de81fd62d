"""The embedded default store: SQLite through aiosqlite, in WAL mode.

Writes go through one writer task that commits whatever turns are waiting as one transaction
(group commit), each turn inside its own savepoint: one failing turn rolls back alone, and a
failed commit fails every turn of its batch. Reads use a second connection, so they never wait
behind a commit. A third connection checkpoints the WAL in the background, so the fsync of a
checkpoint never lands inside a turn. Every unit of work (a whole batch, one read) costs one hop
to the connection's thread rather than one per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.errors import StoreError
from bot.store import codec, migrations
from bot.store import sqlite_sql as sql
from bot.store.base import ConversationRow, ConversationStore, Session, status_rank

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Job:
    work: Work
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


async def _run(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    # aiosqlite's public methods cost one thread hop per statement; handing the worker thread
    # the whole unit of work costs one. _execute is aiosqlite's own queueing primitive.
    raw: Callable[[], T] = lambda: work(conn._conn)  # noqa: E731
    result: T = await conn._execute(raw)  # type: ignore[no-untyped-call]
    return result


class SqliteStore(ConversationStore):
    """``path`` is a file (its folder is created) or ``:memory:`` for a private database."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_batch: int = 512,
        busy_timeout_ms: int = 10_000,
        checkpoint_seconds: float = 1.0,
        auto_migrate: bool = True,
        reclaim_after_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self._reclaim_after = reclaim_after_seconds
        self._clock = clock
        self._auto_migrate = auto_migrate
        self._checkpoint_every = checkpoint_seconds
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._writes = 0
        self._max_batch = max_batch
        self._busy_ms = busy_timeout_ms
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        if self._writer is not None:
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite database {self.path}: {exc}") from exc
        try:
            await _run(
                writer, lambda c: sql.prepare(c, self.path, self._busy_ms, self._auto_migrate)
            )
            reader = writer
            if self.path != ":memory:":
                reader = await aiosqlite.connect(self.path, isolation_level=None)
                await _run(reader, lambda c: sql.prepare_reader(c, self._busy_ms))
        except BaseException as exc:
            await writer.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot use the SQLite database {self.path}: {exc}") from exc
            raise
        self._writer, self._reader = writer, reader
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._write_loop(writer), name="sqlite-writer")
        if self.path != ":memory:":
            self._checkpointer = await aiosqlite.connect(self.path, isolation_level=None)
            await _run(self._checkpointer, lambda c: sql.prepare_reader(c, self._busy_ms))
            self._checkpoint_task = asyncio.create_task(
                self._checkpoint_loop(self._checkpointer), name="sqlite-checkpoint"
            )

    async def close(self) -> None:
        writer, reader, task = self._writer, self._reader, self._task
        if writer is None:
            return
        # New writes are refused from here; the ones already queued are still committed.
        self._writer = self._reader = None
        self._task = None
        self._queue.put_nowait(None)
        if task is not None:
            await task
        await self._stop_checkpoints()
        if reader is not None and reader is not writer:
            await reader.close()
        await writer.close()

    # -- reads: one hop on the reader connection

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        reader = self._reader
        if reader is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        try:
            return await _run(reader, work)
        except (sqlite3.Error, ValueError) as exc:
            raise StoreError(f"SQLite {self.path}: {exc}") from exc

    async def load_session(self, user_id: str) -> Session | None:
        return await self._read(lambda c: sql.load_session(c, user_id))

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

    async def schema_version(self) -> int:
        return await self._read(sql.schema_version)

    def latest_schema_version(self) -> int:
        return migrations.latest_version(migrations.SQLITE)

    async def migrate(self) -> list[int]:
        writer = self._writer
        if writer is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        return await _run(writer, lambda c: sql.migrate(c, self.path))

    # -- writes: queued for the writer task, committed in batches

    async def _write(self, work: Work) -> Any:
        if self._writer is None:
            raise StoreError(f"the SQLite store {self.path} is closed")
        job = _Job(work)
        self._queue.put_nowait(job)
        return await job.future

    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        s, r = codec.session_values(session), codec.rows_values(rows)
        await self._write(lambda c: sql.save_turn(c, s, r))

    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        r = codec.rows_values(rows)
        if r:
            await self._write(lambda c: sql.insert_rows(c, r))

    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        now = self._clock()
        values = (message_sid, user_id, now, now - self._reclaim_after)
        return bool(await self._write(lambda c: sql.claim(c, values)))

    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        values = (message_sid, status.lower(), status_rank(status), timestamp, error_code)
        return bool(await self._write(lambda c: sql.record_status(c, values)))

    async def purge_older_than(self, cutoff: float) -> int:
        return int(await self._write(lambda c: sql.purge(c, cutoff)))

    async def _write_loop(self, writer: aiosqlite.Connection) -> None:
        while True:
            first = await self._queue.get()
            batch: list[_Job] = []
            stop = first is None
            if first is not None:
                batch.append(first)
            while not stop and len(batch) < self._max_batch and not self._queue.empty():
                job = self._queue.get_nowait()
                if job is None:
                    stop = True
                else:
                    batch.append(job)
            batch = [j for j in batch if not j.future.done()]
            if batch:
                await self._commit(writer, batch)
            if stop:
                return

    async def _checkpoint_loop(self, conn: aiosqlite.Connection) -> None:
        done = 0
        while True:
            await asyncio.sleep(self._checkpoint_every)
            if self._writes != done:
                done = self._writes
                with contextlib.suppress(sqlite3.Error):  # busy: the next round catches up
                    await _run(conn, lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)"))

    async def _stop_checkpoints(self) -> None:
        task, conn = self._checkpoint_task, self._checkpointer
        self._checkpoint_task = self._checkpointer = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):  # leave a short WAL behind
                await _run(conn, lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
            await conn.close()

    async def _commit(self, writer: aiosqlite.Connection, batch: list[_Job]) -> None:
        try:
            results = await _run(writer, lambda c: sql.apply_batch(c, [j.work for j in batch]))
        except Exception as exc:  # the commit itself failed: every turn of the batch did
            error = StoreError(f"SQLite {self.path}: commit failed: {exc}")
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        self._writes += 1
        for job, (ok, value) in zip(batch, results, strict=True):
            if job.future.done():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(_store_error(self.path, value))


def _store_error(path: str, exc: BaseException) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    return StoreError(f"SQLite {path}: {type(exc).__name__}: {exc}")
