"""Online backups of the SQLite database, with rotation.

SQLite's backup API copies a consistent snapshot while the service keeps writing (in WAL mode
readers never block the writer). The copy is written under a temporary name, checked, then
renamed, so data/backups/ only ever holds complete backups. PostgreSQL is backed up with
pg_dump (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StoreError
from bot.store.sqlite_open import Opener, private_dir

SUFFIX = ".db"


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    removed: tuple[Path, ...]


def backups(folder: Path, stem: str) -> list[Path]:
    """Complete backups of ``stem``, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{stem}-*{SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def newest_age(folder: Path, stem: str, now: float) -> float | None:
    """Seconds since the newest backup was written; None when there is none."""
    found = backups(folder, stem)
    return now - found[-1].stat().st_mtime if found else None


def _copy(source: Path, target: Path, key: str) -> None:
    partial = target.with_name(target.name + ".partial")
    src = Opener(str(source), key).connect(read_only=True)
    try:
        dst = Opener(str(partial), key).connect()  # created 0600, encrypted with the same key
        try:
            src.backup(dst)
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"the backup of {source} failed its check: {check}")
        finally:
            dst.close()
        partial.replace(target)
    finally:
        src.close()
        partial.unlink(missing_ok=True)


def backup_now(
    source: Path, folder: Path, *, keep: int, now: float | None = None, key: str = ""
) -> BackupResult:
    """Copy ``source`` to ``folder/<stem>-<UTC time>.db`` and keep the newest ``keep`` copies.
    The folder is private (0700), each copy 0600 and, with ``key``, encrypted with it."""
    if not source.is_file():
        raise StoreError(f"there is no SQLite database at {source} to back up")
    if keep < 1:
        raise StoreError(f"storage.backups_kept must be at least 1, got {keep}")
    started = time.monotonic()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    private_dir(folder)
    target = folder / f"{source.stem}-{stamp}{SUFFIX}"
    n = 1
    while target.exists():  # two backups in one second
        target = folder / f"{source.stem}-{stamp}-{n}{SUFFIX}"
        n += 1
    errors = Opener(str(source), key).errors
    try:
        _copy(source, target, key)
    except errors as exc:
        raise StoreError(f"backing up {source} to {target} failed: {exc}") from exc
    found = backups(folder, source.stem)
    removed = tuple(found[:-keep])
    for old in removed:
        old.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, time.monotonic() - started, removed)


async def backup(source: Path, folder: Path, *, keep: int, key: str = "") -> BackupResult:
    """``backup_now`` off the event loop."""
    return await asyncio.to_thread(backup_now, source, folder, keep=keep, key=key)
