"""Intents whose examples are too alike: a user typing one may get the other.

Only intents that can be matched in the same state (the state's own plus the global ones) are
compared, with the scorer and threshold the matcher uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from rapidfuzz import fuzz, process

from bot.errors import Problem
from bot.flows.model import FlowSet
from bot.nlu.intents import example_key


def co_active(flows: FlowSet) -> set[tuple[str, str]]:
    """Pairs of intents (sorted) that some state matches together."""
    pairs: set[tuple[str, str]] = set()
    shared = [g for g in flows.globals if g in flows.intents]
    for state in flows.all_states():
        names = sorted({*(i for i in state.intents if i in flows.intents), *shared})
        pairs.update((a, b) for i, a in enumerate(names) for b in names[i + 1 :])
    return pairs


def check_collisions(flows: FlowSet, threshold: float) -> Iterator[Problem]:
    """For each pair of intents matched together, the pair of examples most alike, when it
    scores above ``threshold``: a warning at the intent declared later.

    Every example is scored against every other at once (rapidfuzz's cdist, in C); a token
    sort ratio is the plain ratio of the keys with their words sorted, so the words are sorted
    once per example instead of once per comparison. Only examples with the same placeholders
    are compared: "show me {n}" and "show menu" are told apart by the number."""
    import numpy as np  # with the full check only: a chat whose flows are checked never needs it

    raws: list[str] = []
    sorted_keys: list[str] = []
    marks: list[frozenset[str]] = []
    spans: dict[str, tuple[int, int]] = {}  # an intent's examples: rows start:stop
    for name, intent in flows.intents.items():
        start = len(raws)
        for raw in intent.examples:
            key = example_key(raw)
            raws.append(raw)
            sorted_keys.append(" ".join(sorted(key.split())))
            marks.append(_placeholders(key))
        spans[name] = (start, len(raws))
    if not raws:
        return
    scores = process.cdist(
        sorted_keys,
        sorted_keys,
        scorer=fuzz.ratio,
        processor=None,
        score_cutoff=threshold,
        dtype=np.float64,
    )
    kinds = {m: i for i, m in enumerate(dict.fromkeys(marks))}
    kind = np.array([kinds[m] for m in marks])
    scores[kind[:, None] != kind[None, :]] = 0.0  # other placeholders: never compared
    for a, b in sorted(co_active(flows)):
        (start_a, stop_a), (start_b, stop_b) = spans[a], spans[b]
        if start_a == stop_a or start_b == stop_b:
            continue
        block = scores[start_a:stop_a, start_b:stop_b]
        best_b = block.argmax(axis=1)  # the first best, as extractOne picks it
        best = block[np.arange(stop_a - start_a), best_b]
        worst_a = int(best.argmax())  # the first example of `a` with the highest score
        score = float(best[worst_a])
        if not score > threshold:
            continue
        raw_a, raw_b = raws[start_a + worst_a], raws[start_b + int(best_b[worst_a])]
        # Report at the intent declared later: that is usually the edit that caused it.
        _first, second = sorted((flows.intents[a], flows.intents[b]), key=lambda i: i.source.line)
        where = second.source
        yield Problem(
            where.file,
            where.line,
            f"intent '{a}' example '{raw_a}' and intent '{b}' example '{raw_b}' score "
            f"{score:.0f} (threshold {threshold:.0f}): a user typing one may get the other",
            "intent_collision",
            severity="warning",
        )


def _placeholders(key: str) -> frozenset[str]:
    """A number or a repository tells two examples apart; "it" / "this" does not."""
    return frozenset(w for w in key.split() if w in ("{n}", "{repo}"))
