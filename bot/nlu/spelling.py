"""The nearest word to a misspelt one, by symmetric deletion.

Two words within k edits of each other (insertions, deletions, substitutions, swaps of two
neighbouring letters) become one same text once at most k letters are deleted from each. Each
known word's deletions are indexed once; a misspelt word's own deletions then name the few
candidates to measure, instead of every word of a similar length.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import OSA


def deletions(word: str, most: int) -> set[str]:
    """``word`` with any ``most`` or fewer of its letters deleted (``word`` itself included)."""
    found = {word}
    last = {word}
    for _ in range(most):
        last = {w[:i] + w[i + 1 :] for w in last for i in range(len(w))}
        found |= last
    return found


class Speller:
    """Corrects words to those of a fixed set at most ``most`` edits away."""

    def __init__(self, words: Iterable[str], most: int) -> None:
        self.most = most
        self._index: dict[str, list[str]] = {}
        for known in sorted(set(words)):
            for deleted in deletions(known, most):
                self._index.setdefault(deleted, []).append(known)

    def nearest(self, word: str) -> str | None:
        """The one known word fewest edits from ``word``; None when there is none, or more than
        one as near."""
        most = self.most
        candidates: set[str] = set()
        for deleted in deletions(word, most):
            candidates.update(self._index.get(deleted, ()))
        best: int | None = None
        closest: list[str] = []
        for candidate in candidates:
            distance = OSA.distance(word, candidate, score_cutoff=most)
            if distance > most:
                continue
            if best is None or distance < best:
                best, closest = distance, [candidate]
            elif distance == best:
                closest.append(candidate)
        return closest[0] if len(closest) == 1 else None
