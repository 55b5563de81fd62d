"""Retention and backups as an operator sees them: old history goes, backups appear and rotate."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import settings_from_mapping
from bot.errors import BotError, StoreError
from bot.store.backup import backup_now, backups
from bot.store.base import ConversationRow, Session
from bot.store.maintenance import DAY, Maintenance
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore

NOW = 1_800_000_000.0


async def _until(condition: Callable[[], bool]) -> None:
    """Wait for the background job, however busy the machine is (10 s at most)."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the job sets no event to wait on
            await asyncio.sleep(0.01)


def _row(user: str, age_days: float) -> ConversationRow:
    return ConversationRow(user, f"{age_days} days ago", "ok", NOW - age_days * DAY)


async def test_history_past_the_retention_period_is_purged_on_schedule(tmp_path: Path) -> None:
    async with SqliteStore(tmp_path / "bot.db") as store:
        await store.save_turn(Session(user_id="+1", state="menu"), [_row("+1", 100), _row("+1", 1)])
        maintenance = Maintenance(
            store=store, retention_days=90, purge_every_seconds=0.05, clock=lambda: NOW
        )
        await maintenance.start()
        await _until(lambda: "last_purge" in maintenance.status())
        await maintenance.close()
        assert [r.message for r in await store.history("+1")] == ["1 days ago"]
        assert await store.load_session("+1") is not None
        assert maintenance.status()["purged_rows_total"] == 1


async def test_a_failing_purge_is_reported_and_retried(tmp_path: Path) -> None:
    store = MemoryStore()
    maintenance = Maintenance(store=store, retention_days=1, purge_every_seconds=0.02)
    await store.close()  # the database is gone
    await maintenance.start()
    await _until(lambda: "last_purge_error" in maintenance.status())
    assert "closed" in str(maintenance.status()["last_purge_error"])
    await store.open()  # back
    await _until(lambda: "last_purge" in maintenance.status())
    await maintenance.close()
    assert "last_purge" in maintenance.status()


async def test_backups_are_complete_copies_while_the_service_writes(tmp_path: Path) -> None:
    db, folder = tmp_path / "bot.db", tmp_path / "backups"
    async with SqliteStore(db) as store:
        await store.save_turn(Session(user_id="+1", state="menu"), [_row("+1", 1)])
        writes = asyncio.gather(*(store.append_rows([_row(f"+{n}", 1)]) for n in range(200)))
        result = await asyncio.to_thread(backup_now, db, folder, keep=3)
        await writes
    copy = sqlite3.connect(result.path)
    assert copy.execute("SELECT COUNT(*) FROM user_sessions").fetchone()[0] == 1
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert not list(folder.glob("*.partial"))
    async with SqliteStore(result.path) as restored:  # a backup opens as a working store
        assert await restored.load_session("+1") is not None


def test_backups_rotate_keeping_the_newest(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    made = [backup_now(db, tmp_path / "b", keep=2, now=NOW + n).path for n in range(4)]
    assert backups(tmp_path / "b", "bot") == made[-2:]


def test_backup_of_a_missing_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no SQLite database"):
        backup_now(tmp_path / "nope.db", tmp_path / "b", keep=2)


async def test_the_scheduled_backup_runs_when_none_is_recent(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {"storage": {"database_url": "sqlite:///data/bot.db", "backups_kept": 2}},
        base_dir=tmp_path,
    )
    store = SqliteStore(tmp_path / "data" / "bot.db")
    async with store, Maintenance.from_settings(settings, store) as maintenance:
        assert maintenance.backs_up
        # The file is in place a moment before the status says so: wait for both.
        await _until(lambda: "last_backup" in maintenance.status())
    assert len(backups(tmp_path / "data" / "backups", "bot")) == 1
    assert "last_backup" in maintenance.status()


async def test_postgres_and_memory_stores_are_not_backed_up_here() -> None:
    maintenance = Maintenance.from_settings(settings_from_mapping({}), MemoryStore())
    assert not maintenance.backs_up
    with pytest.raises(BotError, match="pg_dump"):
        await maintenance.backup()
