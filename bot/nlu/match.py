"""What the matcher concluded about one message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class IntentMatch:
    intent: str | None
    score: float
    entities: Mapping[str, Any] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()  # close runners-up when ambiguous
    # exact | words | fuzzy | edit | partial (some words of no example) | learned (the
    # classifier's reading) | agreed (partial, and the classifier reads the same); or code /
    # query when no intent. The engine adds: reference (a result pointed at), named (a
    # repository named or described), leaning (asked about), clarified (the answer to that)
    how: str = ""
    unknown_words: tuple[str, ...] = ()  # words no example of the winner has

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

    @property
    def sure(self) -> bool:
        """An exact example, or every word known to this intent alone."""
        return self.how in ("exact", "words") and not self.alternatives
