"""What every language-model provider speaks: a request in, a reply out, typed errors between.

A provider makes one attempt and raises ``bot.errors.ProviderError`` (``retryable`` set for 429,
5xx, timeouts, a dropped connection or a garbled answer). Retries, backoff, fallback, budgets and
bookkeeping live once, in the router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One call as the provider sees it: a system prompt and the turns, already trimmed."""

    system: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.2


@dataclass(frozen=True, slots=True)
class ProviderReply:
    text: str
    model: str
    tokens_in: int  # as the provider reported them
    tokens_out: int


@dataclass(frozen=True, slots=True)
class Task:
    """What an action asks of the router.

    ``prompt`` names a template in prompts/ (``answer``, ``explain``, ``classify``) rendered with
    ``variables``; ``history`` is the conversation so far, oldest first; ``snippets`` are the data
    blocks the template fences, best first (both are trimmed to fit the model's window).
    ``fallback`` is the answer local mode gives when no model is used: it is built from search
    results by the caller, so the user always gets something useful.
    """

    prompt: str
    variables: dict[str, object] = field(default_factory=dict)
    snippets: tuple[str, ...] = ()
    history: tuple[Message, ...] = ()
    fallback: str = ""
    spent_today_usd: float = 0.0  # what the asking user has spent today (the daily budget)
    max_tokens: int | None = None  # None: the provider's configured max_output_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    """The answer, and what it took to get it (recorded per turn, exported as metrics)."""

    text: str
    provider: str  # "openai" | "anthropic" | "local"
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    attempts: int = 0  # remote attempts made, over every provider tried
    local_reason: str = ""  # why no model answered: no_provider | budget | failed | "" (one did)
    prompt_tokens_counted: int = 0  # our own count of what was sent (tiktoken or approximate)
    tokens_exact: bool = True  # False when prompt_tokens_counted is an approximation
    snippets_sent: int = 0
    snippets_dropped: int = 0
    history_dropped: int = 0
    errors: tuple[str, ...] = ()  # one line per failed attempt, for logs and /health
    cached: bool = False  # reused from the answer cache: no model was called, nothing was spent

    @property
    def used_model(self) -> bool:
        return self.provider != "local"

    def meta(self) -> dict[str, object]:
        """The fields recorded with the conversation row."""
        return {
            "provider": self.provider,
            "model": self.model,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency_ms": round(self.latency_ms, 1),
            "cost_usd": round(self.cost_usd, 6),
            "local_reason": self.local_reason,
            "attempts": self.attempts,
            "prompt_tokens_counted": self.prompt_tokens_counted,
            "tokens_exact": self.tokens_exact,
            "snippets_sent": self.snippets_sent,
            "snippets_dropped": self.snippets_dropped,
            "history_dropped": self.history_dropped,
            "cached": self.cached,
        }


class Provider(Protocol):
    """One remote model behind its official SDK."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        """One attempt; raise ProviderError on failure."""
        ...

    async def aclose(self) -> None: ...
