"""Picking the intent a message means with the language model, when fuzzy matching is unsure."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.llm.base import Completion
    from bot.llm.router import LLMRouter


async def classify_intent(
    router: LLMRouter | None, text: str, candidates: Sequence[tuple[str, str]]
) -> str | None:
    """One of the candidate intent names for ``text``, or None (no model, unsure, or "none")."""
    picked, _completion = await classify_with_cost(router, text, candidates, 0.0)
    return picked


async def classify_with_cost(
    router: LLMRouter | None, text: str, candidates: Sequence[tuple[str, str]], spent: float
) -> tuple[str | None, Completion | None]:
    if router is None or not candidates or not text.strip():
        return None, None
    from bot.llm.base import Task  # with the router, which imports it too

    task = Task(
        prompt="classify",
        variables={"text": text, "candidates": [{"name": n, "example": e} for n, e in candidates]},
        max_tokens=16,
        spent_today_usd=spent,
    )
    completion = await router.complete(task)
    return _pick(completion.text, [name for name, _example in candidates]), completion


class LLMIntentClassifier:
    """bot.nlu.classify.IntentClassifier backed by the router (for Services.classifier).
    ``router`` gives the router at each call, so one built on first use is built only when a
    message is ambiguous; None: no model to ask."""

    def __init__(
        self, router: Callable[[], LLMRouter | None], *, clock: Callable[[], float] = time.time
    ) -> None:
        self.router = router
        self.clock = clock

    async def classify(
        self,
        text: str,
        candidates: Sequence[tuple[str, str]],
        *,
        spend: MutableMapping[str, Any] | None = None,
    ) -> str | None:
        """Like classify_intent; with ``spend`` (the session context) the call counts against
        the user's daily budget, and is not made once that is used up."""
        picked, _completion = await self._charged(text, candidates, spend)
        return picked

    async def confirm(
        self,
        text: str,
        intent: str,
        example: str,
        *,
        spend: MutableMapping[str, Any] | None = None,
    ) -> bool | None:
        """Like bot.nlu.classify.IntentClassifier.confirm: ``intent`` or "none" asked of the
        model, charged like classify."""
        picked, completion = await self._charged(text, [(intent, example)], spend)
        if completion is None or completion.provider == "local":
            return None  # no model answered: the local reading stands
        if picked == intent:
            return True
        return False if _said_none(completion.text) else None

    async def _charged(
        self,
        text: str,
        candidates: Sequence[tuple[str, str]],
        spend: MutableMapping[str, Any] | None,
    ) -> tuple[str | None, Completion | None]:
        """classify_with_cost within the user's daily budget (``spend``), its cost added there."""
        from bot.llm.usage import add_spend, spent_today  # only once a message is ambiguous

        now = self.clock()
        spent = spent_today(spend, now) if spend is not None else 0.0
        picked, completion = await classify_with_cost(self.router(), text, candidates, spent)
        if spend is not None and completion is not None and completion.cost_usd > 0:
            add_spend(spend, now, completion.cost_usd)
        return picked, completion


def _said_none(reply: str) -> bool:
    """The model answered "none" (of the intents offered)."""
    return reply.strip().strip("`*_.\"' ").casefold() == "none"


def _pick(reply: str, names: list[str]) -> str | None:
    """The name the reply gives: the whole reply, or the only candidate it mentions."""
    cleaned = reply.strip().strip("`*_.\"' ").casefold()
    by_key = {n.casefold(): n for n in names}
    if cleaned in by_key:
        return by_key[cleaned]
    words = set(re.findall(r"[\w.-]+", cleaned))
    mentioned = [n for key, n in by_key.items() if key in words]
    return mentioned[0] if len(mentioned) == 1 else None
