"""Housekeeping on a schedule: purge history past the retention period, back up SQLite.

The web app runs one `Maintenance` around its lifetime (``start``/``close``, or
``async with Maintenance.from_settings(settings, store):``). With several instances each runs
it: purging is idempotent, and backups only exist for SQLite, which is single-instance. A backup
is due when the newest one in the folder is older than the interval, so restarts do not pile up
extra copies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.background import cancel_all
from bot.config import Settings
from bot.errors import BotError
from bot.store import backup as backups
from bot.store.base import ConversationStore

log = logging.getLogger("bot.store")

DAY = 86400.0


class Maintenance:
    def __init__(
        self,
        *,
        store: ConversationStore,
        retention_days: float,
        purge_every_seconds: float = 3600.0,
        sqlite_path: Path | None = None,
        backup_dir: Path | None = None,
        backups_kept: int = 7,
        backup_every_seconds: float = DAY,
        database_key: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._retention = retention_days * DAY
        self._purge_every = purge_every_seconds
        self._sqlite = sqlite_path
        self._backup_dir = backup_dir
        self._kept = backups_kept
        self._backup_every = backup_every_seconds
        self._key = database_key
        self._clock = clock
        self._tasks: list[asyncio.Task[None]] = []
        self._state: dict[str, object] = {"state": "idle"}

    @classmethod
    def from_settings(cls, settings: Settings, store: ConversationStore) -> Maintenance:
        from bot.store.sqlite import SqliteStore

        storage = settings.storage
        on_file = isinstance(store, SqliteStore) and store.path != ":memory:"
        sqlite_path = Path(store.path) if isinstance(store, SqliteStore) and on_file else None
        return cls(
            store=store,
            retention_days=storage.retention_days,
            purge_every_seconds=storage.purge_interval_minutes * 60,
            sqlite_path=sqlite_path,
            backup_dir=settings.path(storage.backup_dir),
            backups_kept=storage.backups_kept,
            backup_every_seconds=storage.backup_interval_hours * 3600,
            database_key=storage.database_key,
        )

    @property
    def backs_up(self) -> bool:
        return self._sqlite is not None and self._backup_dir is not None

    async def start(self) -> None:
        if self._tasks:
            return
        self._state["state"] = "running"
        self._tasks.append(asyncio.create_task(self._purge_loop(), name="maintenance-purge"))
        if self.backs_up:
            self._tasks.append(asyncio.create_task(self._backup_loop(), name="maintenance-backup"))

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_all(tasks)
        self._state["state"] = "stopped"

    async def __aenter__(self) -> Maintenance:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def status(self) -> dict[str, object]:
        return dict(self._state)

    async def purge(self) -> int:
        """Delete history older than the retention period now; how many rows went."""
        cutoff = self._clock() - self._retention
        gone = await self._store.purge_older_than(cutoff)
        total = int(str(self._state.get("purged_rows_total", 0))) + gone
        self._state.update(last_purge=self._clock(), last_purged_rows=gone, purged_rows_total=total)
        log.info("store.purged", extra={"fields": {"rows": gone, "cutoff": cutoff}})
        return gone

    async def backup(self) -> backups.BackupResult:
        if self._sqlite is None or self._backup_dir is None:
            raise BotError("backups are made for SQLite only; use pg_dump for PostgreSQL")
        result = await backups.backup(
            self._sqlite, self._backup_dir, keep=self._kept, key=self._key
        )
        self._state.update(last_backup=str(result.path), last_backup_at=self._clock())
        log.info(
            "store.backed_up",
            extra={
                "fields": {
                    "path": str(result.path),
                    "bytes": result.bytes,
                    "removed": len(result.removed),
                }
            },
        )
        return result

    async def _purge_loop(self) -> None:
        while True:
            await self._guarded("purge", self.purge)
            await asyncio.sleep(self._purge_every)

    async def _backup_loop(self) -> None:
        assert self._sqlite is not None and self._backup_dir is not None
        while True:
            try:
                age = backups.newest_age(self._backup_dir, self._sqlite.stem, time.time())
            except OSError:  # e.g. a file rotated away while it was looked at
                age = None
            wait = 0.0 if age is None else max(0.0, self._backup_every - age)
            await asyncio.sleep(wait)
            await self._guarded("backup", self.backup)
            await asyncio.sleep(min(self._backup_every, 60.0))  # let the new file count

    async def _guarded(self, what: str, job: Callable[[], Awaitable[object]]) -> None:
        try:
            await job()
        except Exception as exc:  # a failed round is retried at the next one; never end the loop
            self._state[f"last_{what}_error"] = str(exc) or type(exc).__name__
            log.exception(f"store.{what}_failed", extra={"fields": {"error": str(exc)}})
