"""The server refuses to start on a database written by a newer release, and says why."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.cluster import ROOT, write_config


def test_server_refuses_a_database_from_a_newer_release(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    config = write_config(tmp_path, database_url=f"sqlite:///{db}", redis_url="")
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name, applied_at)")
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)")
    conn.commit()
    conn.close()
    env = {**os.environ, "BOT_CONFIG": str(config), "PORT": "1"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "server.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "schema version 99" in done.stderr and "newer release" in done.stderr
