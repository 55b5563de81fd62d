"""The example in docs/flows.md and docs/testing.md is valid and its conversation tests pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.testing.report import format_failure
from bot.testing.suite import run_suite
from tests.conftest import scratch_index_dir

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples"


def test_the_example_flows_validate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate", "docs/examples/flows"]) == 0, capsys.readouterr().out


async def test_the_example_conversations_pass() -> None:
    environ = {"BOT_SEARCH__INDEX_DIR": scratch_index_dir()}
    settings = load_settings(ROOT / "config.yaml", environ=environ, read_dotenv=False)
    suite = await run_suite(settings, [EXAMPLE / "conversations"], flows_dir=EXAMPLE / "flows")
    assert suite.problems == ()
    assert len(suite.results) == 3
    assert suite.ok, "\n\n".join(format_failure(r) for r in suite.failed)
