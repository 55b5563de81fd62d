"""Conditions on names that are not set: false, as docs/flows.md says, also in comparisons."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.turn import Inbound, TurnResult
from bot.services import Services
from bot.store.memory import MemoryStore
from tests.engine.conftest import joined, project_settings

FLOW = """
flow: main
states:
  idle:
    say: "ready"
    on:
      - {otherwise: check}
  check:
    then:
      - {when: "entities.number > 2", to: big}
      - {when: "limit < 10", to: big}
      - {when: chosen, to: big}
      - {to: small}
  big:
    say: "big"
    on:
      - {otherwise: check}
  small:
    say: "small"
    on:
      - {otherwise: check}
"""


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.yaml").write_text(FLOW, encoding="utf-8")
    settings = dataclasses.replace(project_settings(), base_dir=tmp_path)
    services = await Services.create(
        settings, store=MemoryStore(), watch_flows=False, start_search=False
    )
    try:
        yield services
    finally:
        await services.close()


async def say(services: Services, text: str) -> TurnResult:
    return await services.engine.handle(Inbound(user_id="u", text=text))


async def test_a_comparison_with_an_unset_name_is_false_and_logged_once(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.flows")
    await say(services, "hello")
    first = await say(services, "no number here")
    assert joined(first) == "small" and first.state == "main.small"
    assert (await say(services, "7")).state == "main.big"
    again = await say(services, "still no number")
    assert joined(again) == "small"

    warnings = [r.getMessage() for r in caplog.records if "condition_undefined" in r.getMessage()]
    # One line per condition, however often it is evaluated, naming where it is written.
    assert len(warnings) == 2, warnings
    number, limit = sorted(warnings)
    assert "main.yaml:10: condition 'entities.number > 2' counts as false" in number
    assert "has no attribute 'number'" in number
    assert "main.yaml:11: condition 'limit < 10' counts as false: 'limit' is undefined" in limit


async def test_a_plain_truth_test_on_an_unset_name_is_quietly_false(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.flows")
    await say(services, "hello")
    result = await say(services, "1")  # 1 > 2 is false; `chosen` is tested, and is not set
    assert joined(result) == "small"
    assert not [r for r in caplog.records if "chosen" in r.getMessage()]
