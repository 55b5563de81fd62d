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
    # Each example keyed once, and grouped by its placeholders: "show me {n}" and "show menu"
    # are told apart by the number, so only examples with the same placeholders are compared.
    keyed: dict[str, list[tuple[str, str, frozenset[str]]]] = {
        name: [(e, key, _placeholders(key)) for e in intent.examples for key in [example_key(e)]]
        for name, intent in flows.intents.items()
    }
    grouped: dict[str, dict[frozenset[str], tuple[list[str], list[str]]]] = {}
    for name, examples in keyed.items():
        groups = grouped.setdefault(name, {})
        for raw, key, marks in examples:
            raws, keys = groups.setdefault(marks, ([], []))
            raws.append(raw)
            keys.append(key)
    for a, b in sorted(co_active(flows)):
        worst: tuple[float, str, str] | None = None
        for raw_a, key_a, marks in keyed[a]:
            raws_b, keys_b = grouped[b].get(marks, ([], []))
            best = process.extractOne(
                key_a, keys_b, scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=threshold
            )
            if best is None:
                continue
            score = float(best[1])
            if score > threshold and (worst is None or score > worst[0]):
                worst = (score, raw_a, raws_b[best[2]])
        if worst is None:
            continue
        score, raw_a, raw_b = worst
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
