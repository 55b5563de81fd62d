"""What calls cost: per-call records, a per-user daily budget, the metrics the web layer exports.

The budget lives in the user's own ``session.context`` (the ``user_context`` column), so it survives
restarts and is shared by every instance that shares the store. ``UsageLedger`` keeps the process's
recent records and totals for /health; ``LLMMetrics`` holds prometheus-client objects registered on
a registry the web layer passes in.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import ProviderConfig
from bot.llm.base import Completion

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

SPEND_KEY = "llm_spend"  # session.context[SPEND_KEY] = {"day": "2026-11-25", "usd": 0.0123}


def cost_usd(config: ProviderConfig, tokens_in: int, tokens_out: int) -> float:
    """Estimated cost from the configured prices (USD per million tokens)."""
    return (tokens_in * config.price_in_per_mtok + tokens_out * config.price_out_per_mtok) / 1e6


def utc_day(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()


def spent_today(context: MutableMapping[str, Any], now: float) -> float:
    record = context.get(SPEND_KEY)
    if not isinstance(record, dict) or record.get("day") != utc_day(now):
        return 0.0
    try:
        return float(record.get("usd", 0.0))
    except (TypeError, ValueError):
        return 0.0


def add_spend(context: MutableMapping[str, Any], now: float, usd: float) -> float:
    """Add ``usd`` to today's spend (a new day starts from zero); returns the new total."""
    total = spent_today(context, now) + usd
    context[SPEND_KEY] = {"day": utc_day(now), "usd": round(total, 8)}
    return total


@dataclass(frozen=True, slots=True)
class UsageRecord:
    at: float
    purpose: str
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost_usd: float
    local_reason: str


class UsageLedger:
    """The process's recent calls and running totals (read by /health and the tests)."""

    def __init__(self, *, keep: int = 200, clock: Callable[[], float] = time.time) -> None:
        self.recent: deque[UsageRecord] = deque(maxlen=keep)
        self.calls: Counter[str] = Counter()  # by provider
        self.tokens_in: Counter[str] = Counter()
        self.tokens_out: Counter[str] = Counter()
        self.cost_usd: dict[str, float] = {}
        self._clock = clock

    def record(self, purpose: str, completion: Completion) -> UsageRecord:
        record = UsageRecord(
            self._clock(),
            purpose,
            completion.provider,
            completion.model,
            completion.tokens_in,
            completion.tokens_out,
            completion.latency_ms,
            completion.cost_usd,
            completion.local_reason,
        )
        self.recent.append(record)
        self.calls[record.provider] += 1
        self.tokens_in[record.provider] += record.tokens_in
        self.tokens_out[record.provider] += record.tokens_out
        self.cost_usd[record.provider] = self.cost_usd.get(record.provider, 0.0) + record.cost_usd
        return record

    def summary(self) -> dict[str, Any]:
        return {
            provider: {
                "calls": self.calls[provider],
                "tokens_in": self.tokens_in[provider],
                "tokens_out": self.tokens_out[provider],
                "cost_usd": round(self.cost_usd.get(provider, 0.0), 6),
            }
            for provider in sorted(self.calls)
        }


class LLMMetrics:
    """Prometheus series for LLM calls, registered on the registry the web layer owns."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # Imported here: only a server exports metrics, and a terminal chat starts sooner without.
        from prometheus_client import Counter as PromCounter
        from prometheus_client import Histogram as PromHistogram

        self.calls = PromCounter(
            "bot_llm_calls",
            "LLM calls by provider and outcome (ok, local)",
            ["provider", "purpose", "outcome"],
            registry=registry,
        )
        self.attempt_errors = PromCounter(
            "bot_llm_attempt_errors",
            "Failed provider attempts (retried or not)",
            ["provider", "kind"],
            registry=registry,
        )
        self.tokens = PromCounter(
            "bot_llm_tokens",
            "Tokens sent and received",
            ["provider", "direction"],
            registry=registry,
        )
        self.cost = PromCounter(
            "bot_llm_cost_usd", "Estimated LLM spend in USD", ["provider"], registry=registry
        )
        self.latency = PromHistogram(
            "bot_llm_latency_seconds",
            "Time to an answer, retries and fallbacks included",
            ["provider"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
            registry=registry,
        )

    def observe(self, purpose: str, completion: Completion) -> None:
        provider = completion.provider
        outcome = "ok" if completion.used_model else f"local_{completion.local_reason or 'only'}"
        self.calls.labels(provider, purpose, outcome).inc()
        self.tokens.labels(provider, "in").inc(completion.tokens_in)
        self.tokens.labels(provider, "out").inc(completion.tokens_out)
        self.cost.labels(provider).inc(completion.cost_usd)
        self.latency.labels(provider).observe(completion.latency_ms / 1000)

    def attempt_failed(self, provider: str, kind: str) -> None:
        self.attempt_errors.labels(provider, kind).inc()
