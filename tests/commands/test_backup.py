"""`python -m bot backup` as an operator runs it."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.migrations import SQLITE


def _config(tmp_path: Path, url: str = "sqlite:///data/bot.db") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"storage:\n  database_url: {url}\n  backups_kept: 2\n", encoding="utf-8")
    return str(path)


def test_backup_writes_a_copy_and_rotates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["--config", config, "migrate"]) == 0
    for _ in range(3):
        assert main(["--config", config, "backup"]) == 0
    out = capsys.readouterr().out
    assert out.count("backed up") == 3 and "removed old backup" in out
    copies = sorted((tmp_path / "data" / "backups").glob("bot-*.db"))
    assert len(copies) == 2
    db = sqlite3.connect(copies[0])
    assert db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == len(SQLITE)
    db.close()


def test_backup_without_a_database_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", _config(tmp_path), "backup"]) == 2
    assert "no SQLite database" in capsys.readouterr().err


def test_backup_on_postgres_prints_how_to_dump_and_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = _config(tmp_path, "postgresql://bot:secret@db.internal/bot")
    assert main(["--config", config, "backup"]) == 0
    out, err = capsys.readouterr()
    today = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    lines = out.splitlines()
    assert lines[0] == (
        "postgresql://bot:***@db.internal/bot is PostgreSQL: "
        "back it up with pg_dump (nothing was run):"
    )
    assert (
        '  pg_dump --format=custom --file=codechat-$(date -u +%Y%m%d).dump "$DATABASE_URL"' in lines
    )
    assert (
        '  pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" '
        f"codechat-{today}.dump" in lines
    )
    assert "DATABASE_URL is not set here" in out
    assert "secret" not in out + err and err == ""


def test_backup_on_postgres_names_the_folder_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db.internal/bot")
    assert main(["--config", _config(tmp_path), "backup", "--dir", "/mnt/off site"]) == 0
    out = capsys.readouterr().out
    assert "--file='/mnt/off site/codechat-'$(date -u +%Y%m%d).dump" in out
    assert "'/mnt/off site/codechat-" in out.splitlines()[3]
    assert "not set" not in out


def test_backup_of_the_memory_store_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", _config(tmp_path, "memory://"), "backup"]) == 2
    assert "nothing to back up" in capsys.readouterr().err
