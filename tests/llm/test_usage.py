"""The per-user daily budget and what /metrics shows for answers given without a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from bot.llm.base import Task
from bot.llm.router import LLMRouter
from bot.llm.usage import SPEND_KEY, add_spend, spent_today
from tests.llm.conftest import llm_settings

MakeRouter = Callable[..., LLMRouter]
NOON = 1_764_072_000.0  # 2025-11-25 12:00 UTC
DAY = 86_400.0


def test_spend_adds_up_within_a_day_and_starts_again_the_next():
    context: dict[str, Any] = {}
    add_spend(context, NOON, 0.25)
    add_spend(context, NOON + 3600, 0.5)
    assert spent_today(context, NOON + 7200) == 0.75
    assert context[SPEND_KEY]["day"] == "2025-11-25"
    assert spent_today(context, NOON + DAY) == 0.0
    add_spend(context, NOON + DAY, 0.1)
    assert context[SPEND_KEY] == {"day": "2025-11-26", "usd": 0.1}


def test_a_garbled_spend_record_counts_as_nothing_spent():
    assert spent_today({SPEND_KEY: "lots"}, NOON) == 0.0
    assert spent_today({SPEND_KEY: {"day": "2025-11-25", "usd": "x"}}, NOON) == 0.0


async def test_local_answers_are_counted_with_their_reason(make_router: MakeRouter):
    registry = CollectorRegistry()
    router = make_router(llm_settings(None))
    router.attach_metrics(registry)

    await router.complete(Task(prompt="answer", variables={}, fallback="from search"))

    labels = {"provider": "local", "purpose": "answer", "outcome": "local_no_provider"}
    assert registry.get_sample_value("bot_llm_calls_total", labels) == 1
    assert router.ledger.recent[-1].local_reason == "no_provider"
