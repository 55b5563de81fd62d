"""`python -m bot migrate` as an operator runs it, on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.migrations import POSTGRES, SQLITE


def _config(tmp_path: Path, url: str = "sqlite:///data/bot.db") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"storage:\n  database_url: {url}\n", encoding="utf-8")
    return str(path)


def test_migrate_creates_the_schema_then_reports_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    latest = len(SQLITE)
    applied = ", ".join(str(v) for v in range(1, latest + 1))
    assert main(["--config", config, "migrate", "--check"]) == 1
    assert f"{latest} migration(s) pending" in capsys.readouterr().out
    assert main(["--config", config, "migrate"]) == 0
    assert f"schema version 0 -> {latest} (applied {applied})" in capsys.readouterr().out
    assert main(["--config", config, "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--config", config, "migrate", "--check"]) == 0
    db = sqlite3.connect(tmp_path / "data" / "bot.db")
    assert db.execute("SELECT COUNT(*) FROM user_sessions").fetchone()[0] == 0
    db.close()


def test_migrate_refuses_a_database_from_a_newer_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    assert main(["--config", config, "migrate"]) == 0
    db = sqlite3.connect(tmp_path / "data" / "bot.db")
    db.execute("INSERT INTO schema_migrations VALUES (7, 'newer', 0)")
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["--config", config, "migrate"]) == 2
    err = capsys.readouterr().err
    assert "schema version 7" in err and "newer release" in err


def test_migrate_on_the_memory_store_says_there_is_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", _config(tmp_path, "memory://"), "migrate"]) == 0
    assert "nothing to migrate" in capsys.readouterr().out


@pytest.mark.postgres
async def test_migrate_on_postgres(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.store.conftest import PG_URL, pg_schema

    async with pg_schema() as schema:
        config = _config(tmp_path, f"{PG_URL}?search_path={schema}")
        # main() runs its own event loop: give it a thread of its own
        code = await asyncio.to_thread(main, ["--config", config, "migrate"])
        assert code == 0
        assert f"-> {len(POSTGRES)}" in capsys.readouterr().out
        code = await asyncio.to_thread(main, ["--config", config, "migrate", "--check"])
        assert code == 0
        assert "up to date" in capsys.readouterr().out
