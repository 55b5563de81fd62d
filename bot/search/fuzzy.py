"""Near misses: a misspelt name ("Enviroment") or word ("certficate") read as the one meant."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA


def allowed_typos(word: str) -> int:
    """One typo (a swap of two letters counts as one) in a word of four letters or more, two
    from eight letters on."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def closest(word: str, vocabulary: Collection[str]) -> list[str]:
    """The words of `vocabulary` nearest `word` within its allowed typos, all those at the
    smallest distance; empty when none is near enough (or `word` is itself in it)."""
    limit = allowed_typos(word)
    if not limit or word in vocabulary:
        return []
    found = process.extract(word, vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=50)
    if not found:
        return []
    best = min(score for _choice, score, _key in found)
    return sorted(str(choice) for choice, score, _key in found if score == best)


def closest_in_any(word: str, vocabularies: Iterable[Collection[str]]) -> list[str]:
    """`closest` over several vocabularies (one per repository), nearest first."""
    pool: set[str] = set()
    for vocabulary in vocabularies:
        if word in vocabulary:
            return []
        pool.update(closest(word, vocabulary))
    if len(pool) <= 1:
        return sorted(pool)
    distances = {w: OSA.distance(word, w) for w in pool}
    best = min(distances.values())
    return sorted(w for w, d in distances.items() if d == best)


SHORT_WORD = 5  # letters under which a word is read as another only with two letters swapped


def closest_word(word: str, vocabularies: Iterable[Collection[str]]) -> list[str]:
    """`closest_in_any` for a word of a question: a word under SHORT_WORD letters is read as
    another only when two of its letters are swapped ("fsat" -> fast), since one letter more,
    less or changed makes another real word of most short words ("show" is no misspelt
    "slow", "disk" no "dis")."""
    found = closest_in_any(word, vocabularies)
    if len(word) >= SHORT_WORD:
        return found
    return [near for near in found if sorted(near) == sorted(word)]
