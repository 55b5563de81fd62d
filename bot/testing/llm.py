"""Recorded LLM replies: a provider that answers from a script, so tests never call a model.

It speaks ``bot.llm.base.Provider``, so the real router, prompts, token counting and actions run
around it; only the network call is replaced. A script entry is a plain reply (used in order) or a
``{match: regex, reply: text}`` pair (used when the regex is found in what would have been sent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.errors import ProviderError
from bot.llm.base import ChatRequest, ProviderReply


@dataclass(frozen=True, slots=True)
class Recorded:
    reply: str
    match: str | None = None  # a regex searched in the system prompt and the messages


@dataclass(slots=True)
class RecordedProvider:
    """Answers each call with the next recorded reply; a call with none left fails loudly."""

    script: list[Recorded] = field(default_factory=list)
    calls: list[ChatRequest] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # calls that found no recorded reply
    name: str = "recorded"
    model: str = "recorded"

    def load(self, script: Iterable[Recorded]) -> None:
        self.script = list(script)
        self.calls.clear()
        self.unanswered.clear()

    async def complete(
        self,
        request: ChatRequest,
        *,
        time_limit: float,
    ) -> ProviderReply:
        self.calls.append(request)
        sent = "\n".join([request.system, *(m.content for m in request.messages)])
        for index, entry in enumerate(self.script):
            if entry.match is None or re.search(entry.match, sent):
                del self.script[index]
                return ProviderReply(entry.reply, self.model, len(sent) // 4, len(entry.reply) // 4)
        last = request.messages[-1].content if request.messages else ""
        self.unanswered.append(last)
        raise ProviderError(
            self.name,
            f"no recorded reply left (add one under `llm:`); it asked: {last[:200]!r}",
            retryable=False,
        )

    async def aclose(self) -> None:
        return None
