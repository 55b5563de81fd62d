"""Each provider's recent health, as /health shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.llm.base import Provider
from bot.llm.providers import DEFAULT_MODELS
from bot.llm.tokens import TokenCounter


@dataclass(slots=True)
class Health:
    failures: int = 0  # consecutive calls on which this provider gave no answer
    last_error: str = ""
    cool_until: float = 0.0  # skipped until then (router clock)
    last_ok_at: float | None = None  # wall clock


def describe(
    chain: Sequence[str],
    providers: Sequence[Provider],
    health: Mapping[str, Health],
    counters: Mapping[str, TokenCounter],
    now: float,
) -> dict[str, Any]:
    """Every provider in the chain (configured or not) and every provider in use."""
    by_name = {p.name: p for p in providers}
    names = list(dict.fromkeys([*chain, *by_name]))
    described: dict[str, Any] = {}
    for name in names:
        if name == "local":
            described[name] = {"configured": True, "healthy": True}
            continue
        provider, state = by_name.get(name), health.get(name, Health())
        counter = counters.get(name)
        described[name] = {
            "configured": provider is not None,
            "model": provider.model if provider else DEFAULT_MODELS.get(name, ""),
            "healthy": provider is not None and state.cool_until <= now,
            "failures": state.failures,
            "last_error": state.last_error,
            "last_ok_at": state.last_ok_at,
            "tokenizer": (f"{counter.name}{'' if counter.exact else ' (approximate)'}")
            if counter
            else "",
        }
    return described
