"""`graph --coverage` says how the tests it ran went, and takes the tests of other flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_graph_coverage_says_the_tests_did_not_run_against_these_flows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["graph", "docs/examples/flows", "--coverage"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("flowchart")  # the diagram is drawn all the same
    note = captured.err.splitlines()
    assert note[0].startswith("tests (tests/conversations): ")
    assert "files with problems, 0 passed in " in note[0]
    assert note[1].startswith("  the cases of ")
    assert (
        "did not run: `python -m bot test --flows docs/examples/flows tests/conversations`"
        in (note[1])
    )
    assert "--tests PATH" in note[1]
    assert note[-1].endswith("untested edge(s) marked")


def test_graph_coverage_with_the_right_tests(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = ["graph", "docs/examples/flows", "--tests", "docs/examples/conversations"]
    assert main(args) == 0
    note = capsys.readouterr().err.splitlines()
    assert note[0].startswith("tests (docs/examples/conversations): 3 passed in ")
    assert len(note) == 2 and note[1].endswith("untested edge(s) marked")
