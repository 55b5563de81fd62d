"""A reader that stops early (`python -m bot test | head`) gets no traceback: the command exits
quietly with the shell's status for a broken pipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import BROKEN_PIPE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command",
    [
        ["test", "--flows", "docs/examples/flows", "docs/examples/conversations", "-v"],
        ["search", "Environment", "--repo", "jinja2", "--json"],
        ["graph"],
    ],
    ids=["test", "search", "graph"],
)
def test_a_reader_that_stops_early_gets_no_traceback(command: list[str]) -> None:
    """As with `python -m bot test | head`: here the reader has gone before the first line."""
    with subprocess.Popen(
        [sys.executable, "-m", "bot", *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    assert err == ""
    assert code == BROKEN_PIPE
