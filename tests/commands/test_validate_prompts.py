"""`python -m bot validate` checks the prompt templates too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_a_broken_prompt_is_reported_with_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    (prompts / "answer.j2").write_text("{% if question %}\n", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("BOT_FLOWS__PROMPTS_DIR", str(prompts))
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert f"{prompts / 'answer.j2'}:1:" in out


def test_the_shipped_flows_and_prompts_validate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("BOT_FLOWS__PROMPTS_DIR", raising=False)
    assert main(["validate"]) == 0
    assert "flows: ok" in capsys.readouterr().out
