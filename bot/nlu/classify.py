"""The seam for resolving ambiguous intents with a language model (see bot/llm)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class IntentClassifier(Protocol):
    async def classify(self, text: str, candidates: Sequence[tuple[str, str]]) -> str | None:
        """Pick one of ``candidates`` (intent name, an example) for ``text``, or None."""
        ...
