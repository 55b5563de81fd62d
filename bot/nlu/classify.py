"""The seam for resolving ambiguous intents with a language model (see bot/llm)."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any, Protocol


class IntentClassifier(Protocol):
    async def classify(
        self,
        text: str,
        candidates: Sequence[tuple[str, str]],
        *,
        spend: MutableMapping[str, Any] | None = None,
    ) -> str | None:
        """Pick one of ``candidates`` (intent name, an example) for ``text``, or None.
        ``spend`` is the user's session context: what a call costs is charged there, against
        the user's daily budget."""
        ...
