"""--coverage: the states, transitions and global commands no test walks, with file:line."""

from __future__ import annotations

from pathlib import Path

from bot.testing.coverage import Walked, measure
from bot.testing.runner import ConversationRunner
from tests.testing.test_runner import run_text


async def test_unwalked_parts_are_listed_with_their_lines(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    results = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: find once
            steps:
              - user: hi
              - user: find
              - user: Circle
                state: desk.found
        """,
    )
    flows = runner.services.flows.current.flows
    coverage = measure(flows, Walked().add_results(results))
    text = coverage.text()
    assert coverage.states == (4, 5)
    assert "flows/desk.yaml:15: state desk.nudge" in text
    assert "flows/desk.yaml:12: transition desk.ask -> desk.nudge (timeout)" in text
    assert "flows/desk.yaml:24: transition desk.run -> desk.ask (then)" in text
    assert "flows/intents.yaml:10: global restart" in text
    assert "transition desk.welcome -> desk.ask" not in text  # walked
    assert "transition desk.run -> desk.found" not in text  # walked, automatically


async def test_timeouts_globals_and_back_count_as_walked(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    results = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: everything
            steps:
              - user: hi
              - user: find
              - advance: 11m
                state: desk.nudge
              - user: find
              - user: zzzz_not_there
                state: desk.ask
              - user: Circle
              - user: Circle
                state: desk.found
              - user: find
              - user: help
              - user: start over
                state: desk.welcome
              - user: anything
                state: desk.welcome
              - user: find
              - advance: 10m
              - user: hello
                state: desk.welcome
        """,
    )
    assert all(r.passed for r in results)
    coverage = measure(runner.services.flows.current.flows, Walked().add_results(results))
    assert coverage.text().endswith("everything was walked"), coverage.text()
