"""`choices:` in a conversation test: the labels a reply offered to tap, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = """
cases:
  - name: the menu offers three choices
    steps:
      - user: hi
        choices: [Search code, Switch repository, Ask a question]
  - name: expects a choice the menu does not offer
    steps:
      - user: hi
        choices: [Search code, Help]
"""


def test_a_wrong_choices_expectation_names_what_was_offered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    cases = tmp_path / "menu.yaml"
    cases.write_text(CASES, encoding="utf-8")
    assert main(["test", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "case 'expects a choice the menu does not offer' failed" in out
    assert (
        "expected the choices 'Search code', 'Help', offered: 'Search code' (1), "
        "'Switch repository' (2), 'Ask a question' (3)"
    ) in out
    assert "1 failed, 1 passed" in out
