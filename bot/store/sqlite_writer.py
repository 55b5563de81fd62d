"""Group commit for SQLite: one writer task turns whatever writes are waiting into one
transaction on the writer connection, each in its own savepoint (sqlite_sql.apply_batch).

A failing unit of work fails alone; a failed commit fails every caller of its batch. Closing
refuses new writes and commits the ones already queued.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiosqlite

from bot.errors import BotError, StoreError
from bot.store import sqlite_sql as sql

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


async def run_on(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on the connection's own thread: one hop for a whole unit of work."""
    # aiosqlite's public methods cost one thread hop per statement; _execute is its own
    # queueing primitive, and handing it the whole unit of work costs one.
    raw: Callable[[], T] = lambda: work(conn._conn)  # noqa: E731
    result: T = await conn._execute(raw)  # type: ignore[no-untyped-call]
    return result


@dataclass(slots=True)
class _Job:
    work: Work
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitter:
    def __init__(self, conn: aiosqlite.Connection, *, where: str, max_batch: int = 512) -> None:
        self._conn = conn
        self._where = where
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = asyncio.create_task(
            self._loop(), name="sqlite-writer"
        )
        self.commits = 0

    async def submit(self, work: Work) -> Any:
        if self._task is None:
            raise StoreError(f"the SQLite store {self._where} is closed")
        job = _Job(work)
        self._queue.put_nowait(job)
        return await job.future

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._queue.put_nowait(None)
            await task

    async def _loop(self) -> None:
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
            batch = [j for j in batch if not j.future.done()]  # callers that gave up
            if batch:
                await self._commit(batch)
            if stop:
                return

    async def _commit(self, batch: list[_Job]) -> None:
        works = [j.work for j in batch]
        try:
            results = await run_on(self._conn, lambda c: sql.apply_batch(c, works))
        except Exception as exc:  # the commit itself failed: every turn of the batch did
            error = StoreError(f"SQLite {self._where}: commit failed: {exc}")
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        self.commits += 1
        for job, (ok, value) in zip(batch, results, strict=True):
            if job.future.done():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(store_error(self._where, value))


def store_error(where: str, exc: BaseException) -> BotError:
    if isinstance(exc, BotError):  # StoreError, DuplicateMessageError: as they were raised
        return exc
    return StoreError(f"SQLite {where}: {type(exc).__name__}: {exc}")
