"""`python -m bot users` and `chat --user` as an operator runs them, on a real SQLite file."""

from __future__ import annotations

import getpass
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
storage:
  database_url: sqlite:///data/bot.db
access:
  mode: allowlist
  users: ["+1 555 000 0001"]
  groups:
    web: ["+15550000002"]
  admins: ["+15550000009"]
  refusal: "Private service, sorry."
repos:
  - {name: site, path: ".", allow: [web]}
"""


@pytest.fixture
def config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return str(path)


def test_add_remove_list_and_audit(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "users", "add", "+1 (555) 000-0004", "--group", "web"]) == 0
    assert "Invited +15550000004 to group web" in capsys.readouterr().out
    assert main(["--config", config, "users", "remove", "whatsapp:+15550000001"]) == 0
    assert "Revoked +15550000001" in capsys.readouterr().out
    assert main(["--config", config, "users", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    me = f"cli:{getpass.getuser()}"
    assert listed == [
        "access mode: allowlist",
        f"+15550000001 - revoked by {me}",
        "+15550000002 - web",
        f"+15550000004 - web, invited by {me}",
        "+15550000009 - no group (admin)",
    ]
    assert main(["--config", config, "users", "audit"]) == 0
    audit = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 2)[2] for line in audit] == [
        f"{me} (cli) revoke +15550000001",
        f"{me} (cli) invite +15550000004 web",
    ]
    db = sqlite3.connect(Path(config).parent / "data" / "bot.db")
    assert db.execute("SELECT COUNT(*) FROM access_audit").fetchone()[0] == 2
    db.close()


def test_mistakes_are_refused_and_change_nothing(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "users", "add", "5550000004"]) == 2
    assert "international form" in capsys.readouterr().err
    assert main(["--config", config, "users", "add", "+15550000004", "--group", "ops"]) == 2
    assert "There is no group “ops”. Groups: web." in capsys.readouterr().err
    assert main(["--config", config, "users", "remove", "+15550000009"]) == 2
    assert "is an admin in config.yaml" in capsys.readouterr().err
    assert main(["--config", config, "users", "audit"]) == 0
    assert capsys.readouterr().out == ""


def test_chat_as_a_number_written_any_way_is_that_person(config: str) -> None:
    with open(config, "a", encoding="utf-8") as more:
        more.write(
            f"flows: {{dir: {ROOT / 'flows'}, prompts_dir: {ROOT / 'prompts'}, reload: false}}\n"
            f"search: {{index_dir: {Path(config).parent / 'index'}}}\n"
        )

    def chat(user: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--config", config, "chat", "--user", user],
            input="hi\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
        return done.stdout

    assert "What would you like to do?" in chat("whatsapp:+1 (555) 000-0001")  # +15550000001
    assert chat("+1 555 000 0008").strip() == "Private service, sorry."
    db = sqlite3.connect(Path(config).parent / "data" / "bot.db")
    keys = {r[0] for r in db.execute("SELECT phone_number FROM user_sessions")}
    assert keys == {"+15550000001"}
    db.close()
