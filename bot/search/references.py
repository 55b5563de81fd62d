"""References to a name: its call sites (from tree-sitter, not text matches), the lines that
import it, its other mentions, and the tests that use it."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence

from bot.search import fuzzy
from bot.search.engine import Found, candidates, mentioned
from bot.search.index import RepoSnapshot
from bot.search.pattern import Pattern, compile_pattern, escape
from bot.search.qualifiers import Filters
from bot.search.scan import line_text, matching_lines
from bot.search.symbols import Outliner
from bot.search.types import Hit

RELATIONS = ("calls", "uses", "tests", "imports")
_IMPORT = re.compile(
    rb"^\s*(?:from\s+\S+\s+)?import\b|^\s*(?:use|using|require|require_relative|include|extern\s+crate)\b"
    rb"|^\s*#\s*(?:include|import)\b|\brequire\s*\(|^\s*(?:@import|import\s*\()"
)
_SCORE = {"call": 3.0, "import": 1.0, "mention": 2.0}
TEST_PENALTY = 1.5  # a call in a test ranks after the uses in the code
_LISTED = re.compile(rb"""^\s*["']?[\w.]+["']?(?:\s+as\s+\w+)?\s*,?\s*(?:#.*)?$""")


def reference_search(
    snaps: Sequence[RepoSnapshot],
    name: str,
    relation: str,
    *,
    outliner: Outliner,
    limit: int,
    timeout: float,
    filters: Filters | None = None,
) -> Found:
    """Where `name` is called ("calls"), used ("uses": calls first, then other mentions),
    imported ("imports"), or used by tests ("tests": only test files)."""
    last = name.rsplit(".", 1)[-1]
    spellings = _spellings(snaps, last, timeout)
    either = "|".join(escape(s) for s in sorted(spellings))
    pattern = compile_pattern(rf"\b(?:{either})\b", timeout=timeout)
    deadline = time.monotonic() + timeout
    found: list[Hit] = []
    total = 0
    capped = False
    for snap, fid in _files(snaps, pattern, filters, tests_only=relation == "tests"):
        data = snap.contents[fid]
        info = snap.files[fid]
        if data is None or info is None:
            continue
        if time.monotonic() > deadline:
            capped = True
            break
        definitions = {s.line for s in info.symbols if s.name in spellings}
        lines = {n: (a, b) for n, a, b in matching_lines(pattern, data, deadline)}
        lines = {n: span for n, span in lines.items() if n not in definitions}
        if not lines:
            continue
        suffix = os.path.splitext(snap.paths[fid])[1].lower()
        calls = set()
        if relation != "imports":
            calls = {c.line for s in spellings for c in outliner.calls(suffix, data, s)}
        for line_no, (start, end) in sorted(lines.items()):
            what = _what(data[start:end], line_no in calls)
            later = bool(snap.secondary[fid])
            if not _wanted(relation, what):
                continue
            total += 1
            text = line_text(data, start, end)
            symbol = info.enclosing(line_no)
            score = _SCORE[what] - (TEST_PENALTY if later else 0.0)
            found.append(Hit(snap.name, snap.paths[fid], line_no, text, symbol, "reference", score))
    # Calls before other mentions, code before tests, each in path and line order.
    found.sort(key=lambda h: -h.score)
    return Found(found[:limit], total, capped=capped)


def _spellings(snaps: Sequence[RepoSnapshot], name: str, timeout: float) -> set[str]:
    """How the definitions of `name` spell it (any case, or the nearest defined names when it
    has none); the name as typed when nothing near is defined."""
    names = _defined(snaps, name.lower())
    if not names and not mentioned(snaps, name, timeout=timeout):
        for near in fuzzy.closest_in_any(name.lower(), [s.defs.keys() for s in snaps]):
            names |= _defined(snaps, near)
    if name in names or not names:
        return {name}
    return names


def _defined(snaps: Sequence[RepoSnapshot], key: str) -> set[str]:
    out = set()
    for snap in snaps:
        for fid, index in snap.defs.get(key, ()):
            info = snap.files[fid]
            if info is not None:
                out.add(info.symbols[index].name)
    return out


def _files(
    snaps: Sequence[RepoSnapshot],
    pattern: Pattern,
    filters: Filters | None,
    *,
    tests_only: bool,
) -> list[tuple[RepoSnapshot, int]]:
    """Code files first, then tests and docs; only tests and docs for "tests"."""
    split = [(snap, candidates(snap, pattern, filters)) for snap in snaps]
    parts = (1,) if tests_only else (0, 1)
    return [(snap, fid) for part in parts for snap, groups in split for fid in groups[part]]


def _what(line: bytes, called: bool) -> str:
    """A call, an import (also a name alone on its line: an entry of a parenthesised import or
    of `__all__`), or another mention."""
    if called:
        return "call"
    return "import" if _IMPORT.search(line) or _LISTED.match(line) else "mention"


def _wanted(relation: str, what: str) -> bool:
    if relation == "calls":
        return what == "call"
    if relation == "imports":
        return what == "import"
    return relation == "tests" or what != "import"
