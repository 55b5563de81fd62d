"""Data at rest: private files and folders, and SQLCipher encryption with DATABASE_KEY."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError, StoreError
from bot.store.base import ConversationRow, Session
from bot.store.sqlite import SqliteStore
from bot.store.sqlite_open import Opener

SECRET_TEXT = "the launch code is 0000-PRIVATE"
KEY = "correct horse 'battery' staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask of a container (022): files would be world-readable by default."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def _save_secret(store: SqliteStore) -> None:
    row = ConversationRow("+1555", SECRET_TEXT, "noted", 1.0, message_sid="SMsecret")
    await store.save_turn(Session("+1555", state="qa.ask", slots={"q": SECRET_TEXT}), [row])


def _config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text("storage:\n  database_url: sqlite:///data/bot.db\n", encoding="utf-8")
    return str(path)


async def test_the_database_its_wal_and_its_folder_are_private(
    tmp_path: Path, open_umask: None
) -> None:
    db = tmp_path / "data" / "bot.db"
    store = SqliteStore(db)
    await store.open()
    try:
        await _save_secret(store)
        files = [db, db.with_name("bot.db-wal"), db.with_name("bot.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(db.parent) == 0o700
    finally:
        await store.close()


def test_backups_are_private(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_KEY", raising=False)
    config = _config(tmp_path)
    assert main(["--config", config, "migrate"]) == 0
    assert main(["--config", config, "backup"]) == 0
    folder = tmp_path / "data" / "backups"
    (copy,) = folder.glob("bot-*.db")
    assert (_mode(folder), _mode(copy)) == (0o700, 0o600)


async def test_with_a_key_nothing_readable_is_on_disk_and_it_reads_back(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.db"
    store = SqliteStore(db, key=KEY)
    await store.open()
    try:
        await _save_secret(store)
        on_disk = b"".join(p.read_bytes() for p in db.parent.iterdir())
        assert SECRET_TEXT.encode() not in on_disk and b"SQLite format 3" not in on_disk
    finally:
        await store.close()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(db).execute("SELECT * FROM conversations").fetchall()
    again = SqliteStore(db, key=KEY)
    await again.open()
    try:
        assert [r.message for r in await again.history("+1555")] == [SECRET_TEXT]
        loaded = await again.load_session("+1555")
        assert loaded is not None and loaded.slots == {"q": SECRET_TEXT}
    finally:
        await again.close()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("wrong key", "DATABASE_KEY does not open .*bot.db: the key is wrong"),
        ("", "it is encrypted and DATABASE_KEY is not set"),
    ],
)
async def test_a_wrong_or_missing_key_is_a_clear_error(
    tmp_path: Path, key: str, expected: str
) -> None:
    db = tmp_path / "bot.db"
    store = SqliteStore(db, key=KEY)
    await store.open()
    await _save_secret(store)
    await store.close()
    with pytest.raises(StoreError, match=expected):
        await SqliteStore(db, key=key).open()


async def test_a_key_on_a_plain_database_is_refused_not_garbled(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with SqliteStore(db) as plain:
        await _save_secret(plain)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="the key is wrong, or the database was not encrypted"):
        await SqliteStore(db, key=KEY).open()


def test_backups_are_encrypted_with_the_same_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_KEY", KEY)
    config = _config(tmp_path)
    assert main(["--config", config, "migrate"]) == 0
    with Opener(str(tmp_path / "data" / "bot.db"), KEY).connect() as conn:
        conn.execute(
            "INSERT INTO conversations (phone_number, message, response, timestamp) "
            "VALUES ('+1', ?, 'ok', 1)",
            (SECRET_TEXT,),
        )
    assert main(["--config", config, "backup"]) == 0
    (copy,) = (tmp_path / "data" / "backups").glob("bot-*.db")
    assert SECRET_TEXT.encode() not in copy.read_bytes()
    with pytest.raises(StoreError, match="DATABASE_KEY is not set"):
        Opener(str(copy)).connect(read_only=True)
    found = (
        Opener(str(copy), KEY).connect(read_only=True).execute("SELECT message FROM conversations")
    )
    assert found.fetchall() == [(SECRET_TEXT,)]
    monkeypatch.setenv("DATABASE_KEY", "not the key")
    assert main(["--config", config, "backup"]) == 2
    assert "DATABASE_KEY does not open" in capsys.readouterr().err


def test_database_key_is_for_sqlite_only(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("storage: {database_url: 'postgresql://db/bot'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"storage\.database_key"):
        load_settings(config, environ={"DATABASE_KEY": "k"}, read_dotenv=False)
