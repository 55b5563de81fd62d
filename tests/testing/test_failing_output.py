"""A failing conversation test says which case and step failed, expected against actual, and
what the engine did (intent, score, transitions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_failure_report_reads_well(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["test", "tests/testing/data/failing.yaml", "--coverage"]) == 1
    out = capsys.readouterr().out
    report = out[out.index("tests/testing/data/failing.yaml:10") :]
    expected_head = [
        "tests/testing/data/failing.yaml:10: case 'expects the wrong reply after switching "
        "repository' failed at step 3 (tests/testing/data/failing.yaml:15)",
        "  user: 'jnja2'",
        "  expected bot (tests/testing/data/failing.yaml:16): the reply differs",
        "    --- expected",
        "    +++ actual",
    ]
    assert report.splitlines()[:5] == expected_head
    assert "    -Which file?" in report
    assert "    +What should I look for in *jinja2*?" in report
    assert (
        "  expected state (tests/testing/data/failing.yaml:17): expected state "
        "'search.results', but it is 'search.ask_query'"
    ) in report
    assert "    page: expected 1, got nothing (the slot is not set)" in report
    assert "  state: repo.choose -> search.ask_query" in report
    # A repository's name is the global switch_repo ("{repo}"), which picks the one named.
    assert "  intent: switch_repo (score 100)" in report
    assert "    intent switch_repo score 100 (exact)" in report
    assert "    global switch_repo" in report
    assert "    enter repo.pick_named" in report
    assert "    action select_repo" in report
    assert "    enter search.ask_query" in report
    assert "    1. user: 'hi' -> greeting.menu (intent greet)" in report
    assert "    2. user: 'swich repo' -> repo.choose (intent switch_repo)" in report
    assert "coverage: " in out and "not walked by any test:" in out
    assert out.rstrip().splitlines()[-1].startswith("1 failed, 1 passed in ")


def test_problems_in_a_test_file_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n"
        "  - name: typo in a key\n"
        "    steps:\n"
        "      - bot_contains: before any message\n"
        "      - user: hi\n"
        "        stat: greeting.menu\n"
        "        state: greeting.nowhere\n"
        "        bot_matches: '(unclosed'\n",
        encoding="utf-8",
    )
    assert main(["test", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4: `bot_contains` comes before any `user:` step" in out
    assert f"{bad}:6: unknown step key 'stat'" in out
    assert f"{bad}:7: unknown state 'greeting.nowhere'" in out
    assert f"{bad}:8: bad regex '(unclosed'" in out


def test_cases_can_run_on_a_real_sqlite_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["test", "tests/conversations/sessions.yaml", "--store", "sqlite", "-v"]) == 0
    out = capsys.readouterr().out
    assert "ok   tests/conversations/sessions.yaml::after 30 minutes away" in out
    assert out.rstrip().splitlines()[-1].startswith("4 passed in ")
