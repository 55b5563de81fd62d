"""Opening SQLite databases: plain SQLite, or SQLCipher when a key is set, with private files.

Every connection the store, the backups and the commands open goes through ``Opener``: the
database's folder is created 0700 and the database file 0600 before SQLite touches it (SQLite
gives its -wal, -shm and -journal files the database file's permissions), and with a key every
connection is keyed and checked at once, so a wrong key is a clear error rather than garbage.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import aiosqlite

from bot.errors import ConfigError, StoreError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")
CIPHER_PACKAGE = "sqlcipher3-wheels"


@functools.cache
def _cipher() -> ModuleType | None:
    """sqlcipher3, imported once a key asks for it: a plain database does not load it (3 ms of
    a terminal chat's start-up)."""
    try:
        return importlib.import_module("sqlcipher3.dbapi2")
    except ImportError:
        return None


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) readable by this user only."""
    if not folder.is_dir():
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        folder.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing; make it and SQLite's side files 0600."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
    os.close(fd)
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            name.chmod(PRIVATE_FILE)


@dataclass(frozen=True, slots=True)
class Opener:
    """``key`` empty: plain SQLite; otherwise SQLCipher with that passphrase (DATABASE_KEY)."""

    path: str
    key: str = field(default="", repr=False)  # never in a log line or a traceback

    def __post_init__(self) -> None:
        if self.key and _cipher() is None:
            raise ConfigError(
                "storage.database_key",
                f"is set, but encryption needs the {CIPHER_PACKAGE} package: "
                f"pip install {CIPHER_PACKAGE}, or unset DATABASE_KEY",
            )

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        """What its connections raise when SQLite fails: with a key, sqlcipher3's exceptions,
        which are its own classes, as well as sqlite3's."""
        cipher = _cipher() if self.key else None
        return (sqlite3.Error,) + ((cast(type[Exception], cipher.Error),) if cipher else ())

    @property
    def busy(self) -> tuple[type[Exception], ...]:
        """What its connections raise when the database is busy (see ``errors``)."""
        cipher = _cipher() if self.key else None
        own = (cast(type[Exception], cipher.OperationalError),) if cipher else ()
        return (sqlite3.OperationalError, *own)

    @property
    def on_disk(self) -> bool:
        return self.path != ":memory:"

    def prepare(self) -> None:
        if self.on_disk:
            private_dir(Path(self.path).parent)
            private_file(Path(self.path))

    def connect(self, *, read_only: bool = False, **kwargs: Any) -> sqlite3.Connection:
        """A checked connection (blocking: run it where blocking is fine)."""
        module: Any = _cipher() if self.key else sqlite3
        target = self.path
        if read_only:
            target = Path(self.path).resolve().as_uri() + "?mode=ro"  # escapes '?', '#', '%'
            kwargs["uri"] = True
        else:
            self.prepare()
        conn = cast(sqlite3.Connection, module.connect(target, **kwargs))
        try:
            if self.key:
                conn.execute("PRAGMA cipher_log_level = NONE")  # errors are ours to report
                conn.execute(f"PRAGMA key = '{self.key.replace(chr(39), chr(39) * 2)}'")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except self.errors as exc:
            conn.close()
            raise StoreError(self._unreadable(exc)) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _unreadable(self, exc: Exception) -> str:
        if "not a database" not in str(exc):
            return f"cannot open the SQLite database {self.path}: {exc}"
        if self.key:
            return (
                f"DATABASE_KEY does not open {self.path}: the key is wrong, or the database "
                "was not encrypted (docs/operations.md says how to encrypt an existing one)"
            )
        return (
            f"{self.path} cannot be read: it is not a SQLite database, or it is encrypted and "
            "DATABASE_KEY is not set"
        )

    async def open(self, **kwargs: Any) -> aiosqlite.Connection:
        """An aiosqlite connection on its own worker thread. The thread is a daemon: close()
        is still always called, but a connection missed by mistake can no longer keep the
        process alive at exit (SQLite's journal makes an exit mid-write a rollback)."""
        connector: Callable[[], sqlite3.Connection] = lambda: self.connect(**kwargs)  # noqa: E731
        conn = aiosqlite.Connection(connector, iter_chunk_size=64)
        conn._thread.daemon = True
        try:
            return await conn
        except Exception:
            # aiosqlite stops the thread of a failed connect but does not wait for it; it would
            # then report to an event loop that may be closed by then.
            await asyncio.to_thread(conn._thread.join, 5.0)
            raise
