"""The conversation-test runner: steps, expectations, fixtures, the fake clock and timeouts."""

from __future__ import annotations

from pathlib import Path

from bot.testing.cases import load_case_file
from bot.testing.report import format_failure
from bot.testing.runner import CaseResult, ConversationRunner
from tests.testing.conftest import write_cases


async def run_text(runner: ConversationRunner, tmp_path: Path, text: str) -> list[CaseResult]:
    path = write_cases(tmp_path / "case.yaml", text)
    cases, problems = load_case_file(path, flows=runner.services.flows.current.flows)
    assert problems == []
    return await runner.run_all(cases)


async def test_a_passing_case_walks_the_real_engine_and_search(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    (result,) = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: find a class
            steps:
              - user: hi
                bot: "Hello! Send *find* to search."
                state: desk.welcome
              - user: fnid
                intent: find
                state: desk.ask
              - user: Circle
                bot_matches: '^\\d+ found, first: shapes.py:1$'
                slots: {query: Circle, results: [{path: shapes.py, line: 1}]}
        """,
    )
    assert result.passed, format_failure(result)
    assert [t.state for t in result.turns] == ["desk.welcome", "desk.ask", "desk.found"]


async def test_fixtures_and_start_state(runner: ConversationRunner, tmp_path: Path) -> None:
    (result,) = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: start in the question with a slot
            start: desk.ask
            fixtures: {note: kept}
            steps:
              - user: area
                state: desk.found
                slots: {note: kept, query: area}
        """,
    )
    assert result.passed, format_failure(result)


async def test_a_state_timeout_fires_when_the_clock_moves(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    (result,) = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: the nudge comes by itself after ten minutes
            steps:
              - user: hi
              - user: find
                state: desk.ask
              - advance: 9m
                bot: ""
                state: desk.ask
              - advance: 2m
                bot: "Still there? Send *find* when you are ready."
                state: desk.nudge
        """,
    )
    assert result.passed, format_failure(result)


async def test_a_message_restarts_the_state_timer(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    (result,) = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: help at 9 minutes gives the user another 10
            steps:
              - user: hi
              - user: find
              - advance: 9m
              - user: help
                state: desk.ask
                bot_contains: Type a word
              - advance: 9m
                state: desk.ask
              - advance: 2m
                state: desk.nudge
        """,
    )
    assert result.passed, format_failure(result)


async def test_a_due_timeout_fires_on_the_next_message_too(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    services = runner.services
    await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: enter the question
            user_id: late
            steps:
              - user: hi
              - user: find
        """,
    )
    runner.clock.advance(11 * 60)  # no sweep ran (the server was down, say)
    result = await services.engine.handle(_inbound("late", "find"))
    assert result.replies[0] == "Still there? Send *find* when you are ready."
    assert result.state == "desk.ask"


def _inbound(user: str, text: str):  # type: ignore[no-untyped-def]
    from bot.engine.turn import Inbound

    return Inbound(user_id=user, text=text)


async def test_cases_are_independent_users(runner: ConversationRunner, tmp_path: Path) -> None:
    results = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: first
            steps:
              - user: hi
              - user: find
                state: desk.ask
          - name: second starts fresh
            steps:
              - user: find
                state: desk.welcome
        """,
    )
    assert [r.passed for r in results] == [True, True]


async def test_a_failing_service_fails_the_case_not_the_run(
    runner: ConversationRunner, tmp_path: Path
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    runner.services.store.load_session = broken  # type: ignore[method-assign]
    (result,) = await run_text(
        runner,
        tmp_path,
        """
        cases:
          - name: the store breaks
            steps:
              - user: hi
        """,
    )
    assert not result.passed
    assert "case 'the store breaks' could not run" in format_failure(result)
    assert "OSError: disk full" in format_failure(result)
