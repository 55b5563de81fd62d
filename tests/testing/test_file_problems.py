"""A test file with problems (a misspelt, repeated or unknown key, a case without steps) runs
none of its cases, under `bot test` and pytest alike: its problems are listed by line, with the
key that was probably meant, and the file counts as failed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.testing.cases import load_case_file
from tests.testing.conftest import write_cases

ROOT = Path(__file__).resolve().parents[2]
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA"]

TYPOS = """\
cases:
  - name: says hello
    steps:
      - user: hi
        bot_contain: Hi!
        stat: greeting.menu
  - name: nothing to do
    steps: []
  - name: misspelt steps
    stpes:
      - user: hi
  - name: repeated expectation
    steps:
      - user: hi
        bot: first text
        bot: second text
        state: greeting.menus
"""


def test_problems_are_listed_by_line_and_no_case_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    bad = write_cases(tmp_path / "typos.yaml", TYPOS)
    assert main(["test", "-v", str(bad), "tests/conversations/sessions.yaml"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:8] == [
        f"{bad}:5: unknown step key 'bot_contain' (did you mean 'bot_contains'?)",
        f"{bad}:6: unknown step key 'stat' (did you mean 'state'?)",
        f"{bad}:8: case 'nothing to do' has no `user:` or `advance:` step",
        f"{bad}:9: case 'misspelt steps' has no `steps:`",
        f"{bad}:10: unknown case key 'stpes' (did you mean 'steps'?)",
        f"{bad}:16: `bot` is repeated (first at line 15); YAML keeps only the last, so the "
        "first would never be checked",
        f"{bad}:17: unknown state 'greeting.menus' (did you mean 'greeting.menu'?)",
        f"{bad}: 7 problems, so none of its cases ran",
    ]
    assert out.splitlines()[8].startswith("ok   tests/conversations/sessions.yaml::")
    assert "typos.yaml::" not in out  # none of its cases ran, none failed
    assert out.rstrip().splitlines()[-1].startswith("1 file with problems, 4 passed in ")


def test_a_repeated_key_anywhere_is_reported(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path / "dup.yaml",
        """\
        fixtures: {repo: jinja2}
        cases:
          - name: one
            name: two
            steps:
              - user: hi
                slots: {repo: jinja2, repo: aiohttp}
        fixtures: {repo: aiohttp}
        """,
    )
    _cases, problems = load_case_file(path)
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (4, "`name` is repeated (first at line 3)"),
        (7, "`repo` is repeated (first at line 7)"),
        (8, "`fixtures` is repeated (first at line 1)"),
    ]


def _pytest(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "tests/conversations/conftest.py", folder / "conftest.py")
    return subprocess.run(
        [*PYTEST, f"--rootdir={folder}", str(folder)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_under_pytest_the_file_is_one_failure_and_no_case_runs(tmp_path: Path) -> None:
    write_cases(tmp_path / "typos.yaml", TYPOS)
    done = _pytest(tmp_path)
    assert done.returncode == 1, done.stdout
    assert re.search(r"^FAILED \S*typos\.yaml::\(file\)", done.stdout, re.MULTILINE)
    assert "1 failed in " in done.stdout  # no case of the file ran, or passed
    report = done.stdout[done.stdout.index("typos.yaml:5: unknown step key 'bot_contain'") :]
    assert report.splitlines()[:3] == [
        "typos.yaml:5: unknown step key 'bot_contain' (did you mean 'bot_contains'?)",
        "typos.yaml:6: unknown step key 'stat' (did you mean 'state'?)",
        "typos.yaml:8: case 'nothing to do' has no `user:` or `advance:` step",
    ]
    assert "typos.yaml: 7 problems, so none of its cases ran" in report


def test_pytest_honours_bot_flows_dir(tmp_path: Path) -> None:
    """A team points pytest at its own flows folder as it would `python -m bot test`."""
    shutil.copy(ROOT / "docs/examples/conversations/hello.yaml", tmp_path / "hello.yaml")
    done = _pytest(tmp_path, BOT_FLOWS__DIR="docs/examples/flows")
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout
    without = _pytest(tmp_path)  # the shipped flows have no hello.* states
    assert without.returncode == 1
    assert "unknown state 'hello.ask'" in without.stdout


def test_pytest_honours_bot_config(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.yaml"
    config.write_text(
        f"flows: {{dir: {ROOT / 'docs/examples/flows'}, reload: false}}\n"
        "repos: [{name: jinja2, package: jinja2}]\n"
        f"search: {{index_dir: {ROOT / 'data/index'}}}\n",
        encoding="utf-8",
    )
    tests = tmp_path / "conversations"
    tests.mkdir()
    shutil.copy(ROOT / "docs/examples/conversations/hello.yaml", tests / "hello.yaml")
    done = _pytest(tests, BOT_CONFIG=str(config))
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout
