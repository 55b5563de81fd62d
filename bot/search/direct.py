"""Searching the files on disk without an index: the answer while the index is being built."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.search.files import RepoSource, read_indexable, walk
from bot.search.pattern import Pattern, compile_pattern, escape
from bot.search.query import ParsedQuery
from bot.search.scan import line_text, matching_lines
from bot.search.types import Hit

_DEFINITION = r"(?:class|def|function|interface|struct|enum|type|record)\s+{name}\b"
_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True, slots=True)
class Found:
    hits: list[Hit]
    total: int


def direct_search(
    sources: Sequence[RepoSource], parsed: ParsedQuery, limit: int, *, timeout: float = 1.0
) -> Found:
    """Scan every file of `sources` for the parsed query (regex, symbol or words)."""
    deadline = time.monotonic() + timeout
    if parsed.kind == "regex":
        pattern = compile_pattern(parsed.text, ignore_case=parsed.ignore_case, timeout=timeout)
        return _collect(sources, [(pattern, "match", 1.0)], limit, deadline, parsed)
    if parsed.kind in ("symbol", "reference"):
        last = escape(parsed.text.rsplit(".", 1)[-1])
        definition = compile_pattern(_DEFINITION.format(name=last), timeout=timeout)
        reference = compile_pattern(rf"\b{last}\b", timeout=timeout)
        return _collect(
            sources,
            [(definition, "definition", 2.0), (reference, "reference", 1.0)],
            limit,
            deadline,
            parsed,
        )
    words = sorted({w.lower() for w in _WORD.findall(parsed.text) if len(w) > 2})
    if not words:
        return Found([], 0)
    pattern = compile_pattern("|".join(escape(w) for w in words), ignore_case=True)
    found = _collect(sources, [(pattern, "match", 1.0)], limit * 20, deadline, parsed)
    scored = [_rescore(hit, words) for hit in found.hits]
    scored.sort(key=lambda h: -h.score)
    return Found(scored[:limit], found.total)


def _rescore(hit: Hit, words: list[str]) -> Hit:
    lowered = hit.text.lower()
    score = float(sum(1 for w in words if w in lowered))
    return Hit(hit.repo, hit.path, hit.line, hit.text, hit.symbol, hit.kind, score)


def _collect(
    sources: Sequence[RepoSource],
    patterns: list[tuple[Pattern, str, float]],
    limit: int,
    deadline: float,
    parsed: ParsedQuery,
) -> Found:
    hits: list[Hit] = []
    seen: set[tuple[str, str, int]] = set()
    total = 0
    for pattern, kind, score in patterns:
        for source in sources:
            for rel in walk(source.filter).files:
                if not parsed.filters.allows(rel):
                    continue
                data, _reason = read_indexable(source.root, rel, source.filter.max_bytes)
                if data is None:
                    continue
                for line_no, start, end in matching_lines(pattern, data, deadline):
                    key = (source.name, rel, line_no)
                    if key in seen:
                        continue
                    seen.add(key)
                    total += 1
                    if len(hits) < limit:
                        text = line_text(data, start, end)
                        hits.append(Hit(source.name, rel, line_no, text, None, kind, score))
    return Found(hits, total)
