"""Choose the conversation store from ``storage.database_url``."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError
from bot.store.base import ConversationStore


def sqlite_path(url: str, base_dir: Path) -> str:
    """``sqlite:///data/bot.db`` is relative to the config's folder, ``sqlite:////abs.db`` is
    absolute, ``sqlite:///:memory:`` is a private in-memory database."""
    rest = url.removeprefix("sqlite://")
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(
            "storage.database_url", f"must look like sqlite:///data/bot.db, got {url!r}"
        )
    path = rest[1:]
    if path == ":memory:":
        return path
    as_path = Path(path).expanduser()
    return str(as_path if as_path.is_absolute() else base_dir / as_path)


def open_store(settings: Settings, *, auto_migrate: bool = True) -> ConversationStore:
    """The store named by the settings, not yet opened: ``async with open_store(s) as store``
    (or ``await store.open()``; opening twice is harmless). Opening applies pending migrations
    unless ``auto_migrate`` is False; either way it refuses a database newer than the code."""
    url = settings.storage.database_url
    if url.startswith("memory://"):
        from bot.store.memory import MemoryStore

        return MemoryStore(reclaim_after_seconds=settings.storage.reclaim_after_seconds)
    if url.startswith("sqlite://"):
        from bot.store.sqlite import SqliteStore

        return SqliteStore(
            sqlite_path(url, settings.base_dir),
            auto_migrate=auto_migrate,
            reclaim_after_seconds=settings.storage.reclaim_after_seconds,
            key=settings.storage.database_key,
        )
    if url.startswith(("postgresql://", "postgres://")):
        from bot.store.postgres import PostgresStore

        return PostgresStore(
            url,
            pool_size=settings.storage.pool_size,
            auto_migrate=auto_migrate,
            reclaim_after_seconds=settings.storage.reclaim_after_seconds,
        )
    raise ConfigError(
        "storage.database_url", f"must start with sqlite:///, postgresql:// or memory://: {url!r}"
    )
