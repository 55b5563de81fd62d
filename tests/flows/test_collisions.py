"""The collision check scores all examples at once; it finds exactly what the check that compared
them intent pair by intent pair (rapidfuzz's extractOne per example) found."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot.errors import Problem
from bot.flows.collisions import _placeholders, check_collisions, co_active
from bot.flows.loader import load_flows
from bot.flows.model import FlowSet
from bot.nlu.intents import example_key

ROOT = Path(__file__).resolve().parents[2]


def pairwise_collisions(flows: FlowSet, threshold: float) -> Iterator[Problem]:
    """The earlier check, one extractOne per example and pair of intents: the reference."""
    keyed = {
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
        _first, second = sorted((flows.intents[a], flows.intents[b]), key=lambda i: i.source.line)
        yield Problem(
            second.source.file,
            second.source.line,
            f"intent '{a}' example '{raw_a}' and intent '{b}' example '{raw_b}' score "
            f"{score:.0f} (threshold {threshold:.0f}): a user typing one may get the other",
            "intent_collision",
            severity="warning",
        )


@pytest.mark.parametrize("threshold", [40, 55, 65, 78, 90, 100])
def test_the_shipped_flows_at_any_threshold(threshold: float) -> None:
    flows, _problems = load_flows(ROOT / "flows", base=ROOT)
    assert flows is not None
    expected = list(pairwise_collisions(flows, threshold))
    assert list(check_collisions(flows, threshold)) == expected
    if threshold <= 55:
        assert len(expected) > 20  # the comparison is not of two empty lists


WORDS = ["show", "open", "more", "next", "result", "results", "search", "find", "help", "me"]
WORDS += ["explain", "this", "it", "{n}", "{repo}", "the", "switch", "to", "repo", "back", "7"]


def random_flows(seed: int, folder: Path) -> FlowSet:
    """Intents of random examples (placeholders, repeats, intents without examples) and states
    that match random sets of them."""
    rng = random.Random(seed)
    names = [f"i{n}" for n in range(rng.randint(2, 9))]
    intents = []
    for name in names:
        examples = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(0, 6))
        ]
        intents.append(f"  {name}: [{', '.join(repr(e) for e in examples)}]")
    states = []
    for n in range(rng.randint(1, 4)):
        matched = rng.sample(names, rng.randint(1, min(4, len(names))))
        on = [f"      - {{intent: {i}, to: s0}}" for i in matched]
        states.append(f"  s{n}:\n    say: 'hi'\n    on:\n" + "\n".join(on))
    folder.mkdir()
    (folder / "intents.yaml").write_text("intents:\n" + "\n".join(intents) + "\n")
    (folder / "main.yaml").write_text("flow: main\nstates:\n" + "\n".join(states) + "\n")
    flows, problems = load_flows(folder, base=folder.parent)
    assert flows is not None, problems
    return flows


@pytest.mark.parametrize("seed", range(40))
def test_random_flows(seed: int, tmp_path: Path) -> None:
    flows = random_flows(seed, tmp_path / "flows")
    for threshold in (30, 60, 78, 95):
        expected = list(pairwise_collisions(flows, threshold))
        assert list(check_collisions(flows, threshold)) == expected, textwrap.shorten(
            str(expected), 500
        )


def test_no_intents(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "main.yaml").write_text("flow: main\nstates:\n  s0: {say: 'hi', final: true}\n")
    flows, _problems = load_flows(folder, base=tmp_path)
    assert flows is not None
    assert list(check_collisions(flows, 78)) == []
