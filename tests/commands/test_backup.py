"""`python -m bot backup` as an operator runs it."""

from __future__ import annotations

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


def test_backup_on_postgres_points_to_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "postgresql://bot:secret@db.internal/bot")
    assert main(["--config", config, "backup"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret" not in err
