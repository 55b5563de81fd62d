"""Answering queries from index snapshots (CPU work: called in a worker thread)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bot.search.index import RepoSnapshot
from bot.search.literals import required
from bot.search.pattern import Pattern, compile_pattern, escape
from bot.search.qualifiers import Filters
from bot.search.scan import line_text, matching_lines
from bot.search.types import Hit

COUNT_CAP = 200
MENTIONS = 3  # lines naming a word that make it a name in use rather than a typo
_IMPORT_LINE = re.compile(
    rb"\s*(?:from\s+\S+\s+import|import|use|using|require|#include)\b"
)  # matching lines counted past the shown ones; beyond, the total is "at least"


@dataclass(frozen=True, slots=True)
class Found:
    hits: list[Hit]
    total: int
    capped: bool = False  # counting stopped at COUNT_CAP: total is a lower bound


def candidates(
    snap: RepoSnapshot, pattern: Pattern, filters: Filters | None = None
) -> tuple[list[int], list[int]]:
    """File ids that may match: (code, tests and docs), each in path order; only the files
    that `filters` allows."""
    need = required(pattern.source, ignore_case=pattern.ignore_case)
    found = snap.trigrams.candidates(need)
    fids = np.arange(len(snap.paths), dtype=np.int32) if found is None else found
    if filters is not None and filters.narrows_files:
        keep = [filters.allows(snap.paths[fid]) for fid in fids.tolist()]
        fids = fids[np.array(keep, dtype=np.bool_)] if keep else fids
    later = snap.secondary[fids]
    return fids[~later].tolist(), fids[later].tolist()


def _ordered(
    snaps: Sequence[RepoSnapshot], pattern: Pattern, filters: Filters | None = None
) -> Iterator[tuple[RepoSnapshot, int]]:
    """Code of every repository first, then tests and docs."""
    split = [(snap, candidates(snap, pattern, filters)) for snap in snaps]
    for part in (0, 1):
        for snap, groups in split:
            for fid in groups[part]:
                yield snap, fid


def regex_lines(
    snaps: Sequence[RepoSnapshot],
    pattern: Pattern,
    *,
    deadline: float,
    limit: int,
    cap: int,
    filters: Filters | None = None,
) -> Found:
    hits: list[Hit] = []
    total = 0
    for snap, fid in _ordered(snaps, pattern, filters):
        if time.monotonic() > deadline:  # out of time: what was found, flagged as partial
            return Found(hits, total, capped=True)
        data = snap.contents[fid]
        if data is None:
            continue
        for line_no, start, end in matching_lines(pattern, data, deadline):
            total += 1
            if len(hits) < limit:
                info = snap.files[fid]
                symbol = info.enclosing(line_no) if info else None
                text = line_text(data, start, end)
                hits.append(Hit(snap.name, snap.paths[fid], line_no, text, symbol, "match", 1.0))
            if total >= cap:
                return Found(hits, total, capped=True)
    return Found(hits, total)


def regex_search(
    snaps: Sequence[RepoSnapshot],
    source: str,
    *,
    ignore_case: bool,
    limit: int,
    timeout: float,
    cap: int = COUNT_CAP,
    filters: Filters | None = None,
) -> Found:
    pattern = compile_pattern(source, ignore_case=ignore_case, timeout=timeout)
    deadline = time.monotonic() + timeout
    return regex_lines(
        snaps, pattern, deadline=deadline, limit=limit, cap=max(cap, limit), filters=filters
    )


def all_matches(snap: RepoSnapshot, source: str, *, ignore_case: bool = False) -> set[str]:
    """Every matching "path:line" (the benchmark checks these against ripgrep)."""
    pattern = compile_pattern(source, ignore_case=ignore_case, timeout=60.0)
    out: set[str] = set()
    deadline = time.monotonic() + 60
    for _snap, fid in _ordered([snap], pattern):
        data = snap.contents[fid]
        if data is not None:
            for line_no, _s, _e in matching_lines(pattern, data, deadline):
                out.add(f"{snap.paths[fid]}:{line_no}")
    return out


def best_line(data: bytes, start: int, end: int, needles: Sequence[bytes]) -> tuple[int, str]:
    """The line of [start, end] (1-based, inclusive) holding the most query words."""
    lines = data.split(b"\n")[start - 1 : min(end, start + 300)]
    best, best_score = 0, -1
    for i, raw in enumerate(lines):
        low = raw.lower()
        score = sum(1 for n in needles if n in low)
        if score > best_score and raw.strip():
            best, best_score = i, score
    chosen = lines[best] if lines else b""
    return start + best, line_text(chosen, 0, len(chosen))


def mentioned(
    snaps: Sequence[RepoSnapshot], word: str, *, timeout: float, lines: int = MENTIONS
) -> bool:
    """True when `word` is a whole word, in any case, on `lines` lines of `snaps`' files or on
    an import line: a name that is only used (a module, a variable) is not a typo for a
    defined one, while a misspelling that slipped into one comment still is."""
    pattern = compile_pattern(rf"\b{escape(word)}\b", ignore_case=True, timeout=timeout)
    deadline = time.monotonic() + timeout
    seen = 0
    for snap, fid in _ordered(snaps, pattern):
        data = snap.contents[fid]
        for _line, start, end in matching_lines(pattern, data or b"", deadline):
            seen += 1
            if seen >= lines or _IMPORT_LINE.match(data or b"", start, end):
                return True
        if time.monotonic() > deadline:
            return False
    return False
