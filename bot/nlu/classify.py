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

    async def confirm(
        self,
        text: str,
        intent: str,
        example: str,
        *,
        spend: MutableMapping[str, Any] | None = None,
    ) -> bool | None:
        """Whether a model reads ``text`` as ``intent`` (an example of it: ``example``), True,
        or as anything else, such as a search of the code, False; None when no model answered
        (none configured, the budget spent, every provider failing)."""
        ...
