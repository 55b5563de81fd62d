"""Prometheus metrics, one registry per app (no process-wide globals).

Language-model calls are exported by the LLM router itself on the same registry
(``bot_llm_latency_seconds``, tokens, cost); code search reports each query's time to
``search_seconds`` (SearchService.time_queries).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Inbound message outcomes; each has a pre-bound child so the hot path skips the label lookup.
OUTCOMES = ("replied", "deferred", "duplicate", "rate_limited", "failed", "refused", "shared")
REJECTIONS = ("signature", "malformed", "too_large")
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        messages = Counter(
            "bot_messages", "Inbound WhatsApp messages by outcome", ["outcome"], registry=r
        )
        self.messages = {name: messages.labels(name) for name in OUTCOMES}
        rejected = Counter(
            "bot_requests_rejected", "Webhook requests refused, by reason", ["reason"], registry=r
        )
        self.rejected = {name: rejected.labels(name) for name in REJECTIONS}
        self.turns = Counter("bot_turns", "Conversation turns run", registry=r)
        self.errors = Counter("bot_errors", "Errors by kind", ["kind"], registry=r)
        self.webhook_seconds = Histogram(
            "bot_webhook_seconds", "Time to answer Twilio's webhook", buckets=_FAST, registry=r
        )
        self.turn_seconds = Histogram(
            "bot_turn_seconds", "Time for one conversation turn", buckets=_SLOW, registry=r
        )
        self.search_seconds = Histogram(
            "bot_search_seconds", "Time for one code search", buckets=_SLOW, registry=r
        )
        self.outbound = Counter(
            "bot_outbound_messages", "Messages sent through the REST API", ["result"], registry=r
        )
        self.status_callbacks = Counter(
            "bot_status_callbacks", "Delivery status callbacks", ["status"], registry=r
        )
        self.active_sessions = Gauge(
            "bot_active_sessions", "Users active within the session timeout", registry=r
        )
        self.outbound_queue = Gauge(
            "bot_outbound_queue", "Replies waiting to go out through the REST API", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def summary(self) -> dict[str, float | int | None]:
        """The product spec's JSON shape of /metrics, from the same counters, since this process
        started: turns run, their mean time in seconds (None before the first) and the share
        of them that failed."""
        value = self.registry.get_sample_value
        turns = value("bot_turns_total") or 0.0
        seconds = value("bot_turn_seconds_sum") or 0.0
        failed = value("bot_errors_total", {"kind": "turn"}) or 0.0
        return {
            "active_sessions": int(value("bot_active_sessions") or 0),
            "messages_processed": int(turns),
            "average_response_time": round(seconds / turns, 4) if turns else None,
            "error_rate": round(failed / turns, 4) if turns else 0.0,
        }
