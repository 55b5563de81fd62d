"""`llm:` in a case: recorded replies stand in for the model, behind the real router, prompts and
actions; a call with no reply left, or a reply never used, fails the case and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services import default_actions
from bot.testing.cases import load_case_file
from bot.testing.report import format_failure
from bot.testing.runner import CaseResult, ConversationRunner
from tests.testing.conftest import write_cases, write_flows

ROOT = Path(__file__).resolve().parents[2]

ASK = {
    "ask.yaml": """
        flow: ask
        states:
          question:
            say: "Ask me about the code."
            on:
              - {otherwise: answer}
          answer:
            do: [answer_question]
            then:
              - {to: question}
        """,
}


@pytest.fixture
async def llm_runner(tiny: Settings, tmp_path: Path) -> AsyncIterator[ConversationRunner]:
    flows = write_flows(tmp_path / "askflows", ASK)
    write_flows(flows, {"intents.yaml": "intents:\n  help: [help]\n"})
    import dataclasses

    settings = dataclasses.replace(
        tiny,
        flows=dataclasses.replace(tiny.flows, dir=str(flows), prompts_dir=str(ROOT / "prompts")),
    )
    actions = default_actions()  # the LLM actions are among the defaults
    async with await ConversationRunner.open(settings, actions=actions) as runner:
        yield runner


async def run(runner: ConversationRunner, tmp_path: Path, text: str) -> CaseResult:
    path = write_cases(tmp_path / "llm.yaml", text)
    (case,), problems = load_case_file(path, flows=runner.services.flows.current.flows)
    assert problems == []
    return await runner.run(case)


async def test_a_recorded_reply_is_the_answer(
    llm_runner: ConversationRunner, tmp_path: Path
) -> None:
    result = await run(
        llm_runner,
        tmp_path,
        """
        cases:
          - name: the model explains Circle
            fixtures: {repo: tiny}
            llm: ["Circle is a class in shapes.py:1; area() returns 3.14."]
            steps:
              - user: hi
              - user: what does Circle do?
                bot_contains: Circle is a class in shapes.py:1
                bot_not_contains: No language model was used
        """,
    )
    assert result.passed, format_failure(result)
    (call,) = llm_runner.provider.calls
    sent = call.system + "".join(m.content for m in call.messages)
    assert "what does Circle do?" in sent and "class Circle" in sent  # the real prompt went out


async def test_replies_chosen_by_what_was_asked(
    llm_runner: ConversationRunner, tmp_path: Path
) -> None:
    result = await run(
        llm_runner,
        tmp_path,
        """
        cases:
          - name: two questions, replies matched by content
            fixtures: {repo: tiny}
            llm:
              - {match: "what does area return", reply: "area() returns 3.14"}
              - {match: "what is Circle", reply: "Circle is a shape"}
            steps:
              - user: hi
              - user: what is Circle
                bot_contains: Circle is a shape
              - user: what does area return
                bot_contains: area() returns 3.14
        """,
    )
    assert result.passed, format_failure(result)


async def test_a_call_with_no_reply_left_fails_the_case(
    llm_runner: ConversationRunner, tmp_path: Path
) -> None:
    result = await run(
        llm_runner,
        tmp_path,
        """
        cases:
          - name: one reply, two questions
            fixtures: {repo: tiny}
            llm: ["first answer"]
            steps:
              - user: hi
              - user: what is Circle
              - user: and area?
        """,
    )
    assert not result.passed and result.failed_step == 2
    assert "called the language model 1 time(s) with no recorded reply left" in format_failure(
        result
    )


async def test_an_unused_reply_fails_the_case(
    llm_runner: ConversationRunner, tmp_path: Path
) -> None:
    result = await run(
        llm_runner,
        tmp_path,
        """
        cases:
          - name: recorded but never asked
            fixtures: {repo: tiny}
            llm: ["never used"]
            steps:
              - user: hi
        """,
    )
    assert not result.passed
    assert "1 recorded LLM reply was never used" in format_failure(result)


async def test_without_llm_the_case_runs_in_local_mode(
    llm_runner: ConversationRunner, tmp_path: Path
) -> None:
    result = await run(
        llm_runner,
        tmp_path,
        """
        cases:
          - name: no model configured
            fixtures: {repo: tiny}
            steps:
              - user: hi
              - user: what is Circle
                bot_contains: [Best matches in *tiny*, "shapes.py:1", class Circle]
                bot_not_contains: language model
        """,
    )
    assert result.passed, format_failure(result)
    assert llm_runner.provider.calls == []
