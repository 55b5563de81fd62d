"""What is particular to the SQLite store: the spec's schema, WAL, versions, batching, paths."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.analytics.model import Window
from bot.config import settings_from_mapping
from bot.errors import ConfigError, SchemaTooNewError, StoreError
from bot.store import migrations
from bot.store.backup import backup_now
from bot.store.base import ConversationRow, Session
from bot.store.factory import open_store
from bot.store.memory import MemoryStore
from bot.store.migrations import SQLITE
from bot.store.sqlite import SqliteStore


def _turn(user: str, text: str = "hi") -> tuple[Session, list[ConversationRow]]:
    row = ConversationRow(user_id=user, message=text, response="hello", timestamp=1.0)
    return Session(user_id=user, state="greeting.menu", last_activity=1.0), [row]


async def test_database_has_the_spec_tables_and_indexes(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with SqliteStore(db):
        pass
    conn = sqlite3.connect(db)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(conversations)")}
    assert {"id", "phone_number", "message", "response", "timestamp", "message_type"} <= columns
    columns = {r[1] for r in conn.execute("PRAGMA table_info(user_sessions)")}
    assert {"phone_number", "session_data", "last_activity", "user_context"} <= columns
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"idx_phone_timestamp", "idx_last_activity"} <= indexes
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == len(SQLITE)
    conn.close()


async def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with SqliteStore(db) as store:
        await store.save_turn(*_turn("+1"))
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="schema version 99"):
        await SqliteStore(db).open()
    conn = sqlite3.connect(db)  # and nothing was touched
    assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 1
    conn.close()


async def test_a_failed_commit_fails_every_turn_of_its_batch_then_recovers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.db"
    async with SqliteStore(db, busy_timeout_ms=50) as store:
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database
        results = await asyncio.gather(
            *(store.save_turn(*_turn(f"+{n}")) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, StoreError) for r in results), results
        blocker.execute("ROLLBACK")
        blocker.close()
        await store.save_turn(*_turn("+9"))
        assert await store.load_session("+9") is not None
        assert await store.load_session("+1") is None


async def test_writes_queued_before_close_are_committed(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    store = SqliteStore(db)
    await store.open()
    pending = [asyncio.ensure_future(store.save_turn(*_turn(f"+{n}"))) for n in range(20)]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*pending)
    async with SqliteStore(db) as again:
        assert await again.active_sessions(since=0) == 20


async def test_unwritable_location_gives_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises((StoreError, OSError)):
        await SqliteStore(tmp_path / "file" / "bot.db").open()


async def test_factory_resolves_sqlite_paths_from_the_config_folder(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {"storage": {"database_url": "sqlite:///var/chat.db"}}, base_dir=tmp_path
    )
    async with open_store(settings) as store:
        assert isinstance(store, SqliteStore)
        await store.save_turn(*_turn("+1"))
    assert (tmp_path / "var" / "chat.db").is_file()

    absolute = tmp_path / "abs.db"
    settings = settings_from_mapping(
        {"storage": {"database_url": f"sqlite:///{absolute}"}}, base_dir=Path("/nonexistent")
    )
    assert isinstance(open_store(settings), SqliteStore)
    assert open_store(settings).path == str(absolute)  # type: ignore[attr-defined]


def test_factory_picks_memory_and_explains_a_bad_url(tmp_path: Path) -> None:
    memory = settings_from_mapping({"storage": {"database_url": "memory://"}}, base_dir=tmp_path)
    assert isinstance(open_store(memory), MemoryStore)
    bad = settings_from_mapping({"storage": {"database_url": "sqlite://rel.db"}}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"sqlite:///data/bot\.db"):
        open_store(bad)


async def test_the_wal_is_checkpointed_and_left_short_on_close(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with SqliteStore(db, checkpoint_seconds=0.02) as store:
        for n in range(50):
            await store.save_turn(*_turn(f"+{n}", "x" * 2000))
        await asyncio.sleep(0.1)
        conn = sqlite3.connect(db)  # a plain reader sees every turn once checkpointed
        assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 50
        conn.close()
    wal = db.with_name("bot.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_an_older_database_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(migrations.CREATE_VERSION_TABLE)
    for statement in SQLITE[0].statements:  # a database left by the first release
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'first', 0)")
    conn.execute("INSERT INTO inbound_messages VALUES ('SMold', '+1', 0)")
    conn.execute(
        "INSERT INTO user_sessions VALUES ('+1', '{\"state\": \"greeting.menu\"}', 5, '{}', NULL)"
    )
    conn.close()
    async with SqliteStore(db) as store:
        assert await store.schema_version() == len(SQLITE)
        session = await store.load_session("+1")
        assert session is not None and session.state == "greeting.menu"
        assert await store.claim_message("SMold", "+1") is False  # old claims count as handled


async def test_a_database_path_with_uri_characters_works(tmp_path: Path) -> None:
    db = tmp_path / "odd ?#% name" / "bot.db"
    async with SqliteStore(db) as store:
        await store.save_turn(*_turn("+1"))
        assert await store.load_session("+1") is not None
    result = backup_now(db, tmp_path / "backups", keep=1)
    assert result.path.is_file()


async def test_rows_from_before_the_dashboard_migration_are_kept_and_left_out(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(migrations.CREATE_VERSION_TABLE)
    for m in SQLITE[:4]:  # a database left by the release before the dashboard
        for statement in m.statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (m.version, m.name))
    conn.execute(
        "INSERT INTO conversations (phone_number, message, response, timestamp, state) "
        "VALUES ('+1', 'old', 'reply', 3600, 'greeting.menu')"
    )
    conn.close()
    async with SqliteStore(db) as store:
        assert await store.schema_version() == 5
        (old,) = await store.history("+1")
        assert (old.message, old.channel, old.started, old.latency_ms) == ("old", "", None, None)
        row = ConversationRow("+1", "new", "r", 7200, started=7200, channel="whatsapp")
        await store.save_turn(Session("+1", state="greeting.menu"), [row])
        overview = await store.analytics.overview(Window(0, 86400))
        assert overview.total.messages == 1  # the old row has no conversation to count in
        assert [c.turns for c in (await store.analytics.conversations(Window(0, 86400))).items] == [
            1
        ]
