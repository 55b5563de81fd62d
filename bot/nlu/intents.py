"""Local intent matching: exact examples first, then rapidfuzz over the examples valid here.

Numbers in the user's text are entities: "open 2" is matched as "open {n}" against the examples,
and 2 is handed to the flow as ``entities.number``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

NUMBER = re.compile(r"(?<![\w.-])#?(-?\d{1,6})(?![\w.])")
PLACEHOLDER = "{n}"
MAX_COMMAND_CHARS = 80  # longer texts are never commands: they go to `otherwise`
FILLERS = frozenset({"please", "pls", "plz", "pleas", "kindly"})  # "more please" is "more"
_PUNCT = re.compile(r"[^\w\s{}#-]+|(?<=\w)-|-(?!\d)")
_SPACE = re.compile(r"\s+")
# Quoted or slashed text is a literal search ("/help/", "`continue`"), never a command.
_CLOSING = {"/": "/", '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019"}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    words = _SPACE.sub(" ", _PUNCT.sub(" ", text)).split()
    kept = [w for w in words if w not in FILLERS]
    return " ".join(kept or words)


def is_literal(text: str) -> bool:
    """Text wrapped in /slashes/, quotes or backticks: a query, taken word for word."""
    t = text.strip()
    if len(t) < 3 or t[0] not in _CLOSING:
        return False
    return t.endswith(_CLOSING[t[0]]) or (t[0] == "/" and t.endswith("/i"))


def with_placeholders(normalized: str) -> tuple[str, list[int]]:
    numbers = [int(m) for m in NUMBER.findall(normalized)]
    return NUMBER.sub(PLACEHOLDER, normalized).replace("#", ""), numbers


@dataclass(frozen=True, slots=True)
class IntentMatch:
    intent: str | None
    score: float
    entities: Mapping[str, Any] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()  # close runners-up when ambiguous

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)


class IntentMatcher:
    """Matches text against a fixed set of intents; built once per state per flow version."""

    def __init__(
        self,
        examples: Mapping[str, Iterable[str]],
        *,
        threshold: float,
        margin: float,
        preferred: Iterable[str] = (),
    ) -> None:
        self._threshold = threshold
        self._margin = margin
        self._preferred = frozenset(preferred)
        self._exact: dict[str, str] = {}
        self._choices: list[str] = []
        self._owners: list[str] = []
        self.words: frozenset[str] = frozenset()  # every word of every example
        for intent, phrases in examples.items():
            for phrase in phrases:
                key = normalize(phrase)
                if key.replace(PLACEHOLDER, "").strip() == "" and PLACEHOLDER not in key:
                    continue
                if key not in self._exact or intent in self._preferred:
                    self._exact[key] = intent
                self._choices.append(key)
                self._owners.append(intent)
        self.words = frozenset(w for c in self._choices for w in c.split() if w != PLACEHOLDER)

    def match(self, text: str) -> IntentMatch:
        normalized = normalize(text)
        if not normalized or len(normalized) > MAX_COMMAND_CHARS or is_literal(text):
            return IntentMatch(None, 0.0)
        keyed, numbers = with_placeholders(normalized)
        entities: dict[str, Any] = {"number": numbers[0]} if numbers else {}
        if numbers:
            entities["numbers"] = numbers
        exact = self._exact.get(normalized) or self._exact.get(keyed)
        if exact is not None:
            return IntentMatch(exact, 100.0, entities)
        if not self._choices:
            return IntentMatch(None, 0.0, entities)
        found = process.extract(
            keyed,
            self._choices,
            scorer=fuzz.token_sort_ratio,
            processor=None,
            limit=8,
            score_cutoff=self._threshold - self._margin,
        )
        best: dict[str, float] = {}
        for _choice, score, index in found:
            owner = self._owners[index]
            if score > best.get(owner, -1.0):
                best[owner] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0] not in self._preferred))
        if not ranked or ranked[0][1] < self._threshold:
            return self._one_edit(keyed, entities) or IntentMatch(
                None, ranked[0][1] if ranked else 0.0, entities
            )
        winner, score = ranked[0]
        close = tuple((i, s) for i, s in ranked[1:] if score - s < self._margin)
        return IntentMatch(winner, float(score), entities, close)

    def _one_edit(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """Short words with one typo (two letters of "help" swapped) score low on ratios;
        accept one edit (a transposition counts as one) when it points to a single intent."""
        if len(keyed) < 4:
            return None
        owners = {
            self._owners[index]
            for _choice, _distance, index in process.extract(
                keyed, self._choices, scorer=OSA.distance, processor=None, limit=4, score_cutoff=1
            )
        }
        if len(owners) != 1:
            return None
        return IntentMatch(owners.pop(), self._threshold, entities)
