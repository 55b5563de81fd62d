"""A turn that raises (an action, a condition): the case report shows the exception and the state
it happened in under the failing step, and `bot test` writes no raw traceback to stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.testing.report import format_failure
from bot.testing.runner import ConversationRunner
from tests.testing.conftest import write_cases, write_flows
from tests.testing.test_runner import run_text

ROOT = Path(__file__).resolve().parents[2]

# A welcome that offers a state whose action divides by zero.
BROKEN = {
    "intents.yaml": """
        entry: desk.welcome
        intents:
          crash: [crash]
        """,
    "desk.yaml": """
        flow: desk
        states:
          welcome:
            say: "Hello!"
            on:
              - {intent: crash, to: boom}
              - {otherwise: welcome}
          boom:
            do: [{set: {ratio: "{{ 1 // 0 }}"}}]
            say: "never said"
            on:
              - {otherwise: welcome}
        """,
}

CASES = """
    cases:
      - name: the action breaks
        steps:
          - user: hi
          - user: crash
            state: desk.boom
"""


@pytest.fixture
def broken_flows(tmp_path: Path) -> Path:
    return write_flows(tmp_path / "broken", BROKEN)


async def test_the_report_names_the_exception_and_the_state(
    broken_flows: Path, tiny: Settings, tmp_path: Path
) -> None:
    async with await ConversationRunner.open(tiny, flows_dir=broken_flows) as runner:
        (result,) = await run_text(runner, tmp_path, CASES)
    report = format_failure(result)
    lines = report.splitlines()
    step = lines.index("  user: 'crash'")
    assert lines[step + 1] == (
        "  the turn failed in state desk.boom: "
        "ZeroDivisionError: integer division or modulo by zero"
    )
    assert lines[step + 2].startswith("    raised at bot/")
    assert "expected state" in lines[step + 3]  # then what the step expected
    assert "Traceback" not in report
    assert "Traceback (most recent call last):" in format_failure(result, tracebacks=True)


async def test_a_turn_that_raises_fails_the_case_even_without_expectations(
    broken_flows: Path, tiny: Settings, tmp_path: Path
) -> None:
    async with await ConversationRunner.open(tiny, flows_dir=broken_flows) as runner:
        (result, after) = await run_text(
            runner,
            tmp_path,
            """
            cases:
              - name: nothing is expected of the crash
                steps:
                  - user: hi
                  - user: crash
                  - user: hi
              - name: the next case is not blamed
                steps:
                  - user: hi
                    state: desk.welcome
            """,
        )
    assert not result.passed
    assert result.failed_step == 1
    assert "failed at step 2" in format_failure(result)
    assert "ZeroDivisionError" in format_failure(result)
    assert after.passed, format_failure(after)


def test_bot_test_keeps_stderr_clean(broken_flows: Path, tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "crash.yaml", CASES)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "test", "--flows", str(broken_flows), str(cases)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == ""
    assert "the turn failed in state desk.boom: ZeroDivisionError" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].startswith("1 failed, 0 passed in ")


def test_verbose_shows_the_traceback(
    broken_flows: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(tmp_path / "crash.yaml", CASES)
    assert main(["test", "-v", "--flows", str(broken_flows), str(cases)]) == 1
    out = capsys.readouterr().out
    assert "    | Traceback (most recent call last):" in out
    assert "    | ZeroDivisionError: integer division or modulo by zero" in out
