"""Expectations checked against what a step did; each miss says what was expected and what came."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.testing.cases import Expect, Step

if TYPE_CHECKING:
    from bot.testing.turn import Turn

MISSING = object()


@dataclass(frozen=True, slots=True)
class Mismatch:
    expect: Expect | None  # None: a problem of the case as a whole (recorded LLM replies)
    message: str
    diff: str = ""


def reply_text(replies: Sequence[str]) -> str:
    return "\n\n".join(r.strip() for r in replies)


def check_step(step: Step, turn: Turn) -> list[Mismatch]:
    return [m for e in step.expects if (m := check(e, turn)) is not None]


def check(expect: Expect, turn: Turn) -> Mismatch | None:
    said = reply_text(turn.replies)
    value = expect.value
    if expect.kind == "bot":
        if isinstance(value, tuple):
            actual = tuple(r.strip() for r in turn.replies)
            wanted = tuple(v.strip() for v in value)
            if actual == wanted:
                return None
            return Mismatch(expect, "the replies differ", _diff("\n\n".join(wanted), said))
        if said == str(value).strip():
            return None
        return Mismatch(expect, "the reply differs", _diff(str(value).strip(), said))
    if expect.kind == "bot_contains":
        missing = [v for v in value if v not in said]
        if missing:
            return Mismatch(expect, f"the reply does not contain {_list(missing)}")
    elif expect.kind == "bot_not_contains":
        found = [v for v in value if v in said]
        if found:
            return Mismatch(expect, f"the reply contains {_list(found)}")
    elif expect.kind == "bot_matches":
        failing = [v for v in value if re.search(v, said, re.MULTILINE) is None]
        if failing:
            return Mismatch(expect, f"the reply does not match {_list(failing)}")
    elif expect.kind == "choices":
        labels = tuple(c.label for c in turn.choices)
        if labels != value:
            offered = ", ".join(f"{c.label!r} ({c.value})" for c in turn.choices) or "none"
            return Mismatch(expect, f"expected the choices {_list(value)}, offered: {offered}")
    elif expect.kind == "state":
        if turn.state != value:
            return Mismatch(expect, f"expected state {value!r}, but it is {turn.state!r}")
    elif expect.kind == "intent":
        if turn.intent != value:
            score = f" (score {turn.score:.0f})" if turn.score is not None else ""
            return Mismatch(expect, f"expected intent {value!r}, got {turn.intent!r}{score}")
    elif expect.kind == "slots":
        wrong = [
            f"{key}: expected {want!r}, got {_show(turn.slots.get(key, MISSING))}"
            for key, want in value.items()
            if not _subset(want, turn.slots.get(key, MISSING))
        ]
        if wrong:
            return Mismatch(expect, "slots differ:\n" + "\n".join(wrong))
    return None


def _list(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _show(value: Any) -> str:
    if value is MISSING:
        return "nothing (the slot is not set)"
    text = repr(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _subset(want: Any, got: Any) -> bool:
    """`want` is found in `got`: mappings by their listed keys, lists item by item."""
    if want is None:
        return got is MISSING or got is None
    if got is MISSING:
        return False
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            _subset(v, got.get(k, MISSING)) for k, v in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(want) == len(got)
            and all(_subset(w, g) for w, g in zip(want, got, strict=True))
        )
    return bool(want == got)


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "expected", "actual", lineterm="", n=2
    )
    return "\n".join(lines)
