"""Running one parsed query over indexed repositories and, while indexing, over the disk."""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable, Sequence

from bot.search.direct import direct_search
from bot.search.engine import Found, regex_search
from bot.search.files import RepoSource
from bot.search.index import RepoSnapshot
from bot.search.lookup import named_files, symbol_search, text_search
from bot.search.qualifiers import Filters
from bot.search.query import ParsedQuery
from bot.search.references import reference_search
from bot.search.symbols import Outliner
from bot.search.types import Hit, SearchResponse

Progress = Callable[[int, int], None]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PHRASE_TEXT = """a an the of to in into for on with and or is are how what where why when which
    who do does i my me we our from by as at it its this that these those not no all any"""
_PHRASE_WORDS = frozenset(_PHRASE_TEXT.split())


def run(
    ready: Sequence[RepoSnapshot],
    missing: Sequence[RepoSource],
    parsed: ParsedQuery,
    limit: int,
    timeout: float,
    outliner: Outliner | None = None,
) -> Found:
    """Indexed repositories answer from the index, the others by scanning their files."""
    found = Found([], 0)
    if ready:
        found = _indexed(ready, parsed, limit, timeout, outliner or Outliner())
    if missing:
        direct = direct_search(missing, parsed, limit, timeout=timeout)
        hits = found.hits + direct.hits
        if parsed.kind != "regex":
            hits.sort(key=lambda h: (h.kind != "definition", -h.score))
        found = Found(hits[:limit], found.total + direct.total, found.capped)
    return found


class OutlinerPool:
    """Parsers for call sites lent to one thread at a time (a tree-sitter parser is not shared,
    and loading a grammar costs tens of milliseconds: they are kept)."""

    def __init__(self) -> None:
        self._idle: queue.SimpleQueue[Outliner] = queue.SimpleQueue()

    def run(
        self,
        ready: Sequence[RepoSnapshot],
        missing: Sequence[RepoSource],
        parsed: ParsedQuery,
        limit: int,
        timeout: float,
    ) -> Found:
        """`run` with a parser from the pool."""
        try:
            outliner = self._idle.get_nowait()
        except queue.Empty:
            outliner = Outliner()
        try:
            return run(ready, missing, parsed, limit, timeout, outliner)
        finally:
            self._idle.put(outliner)


def _indexed(
    snaps: Sequence[RepoSnapshot],
    parsed: ParsedQuery,
    limit: int,
    timeout: float,
    outliner: Outliner,
) -> Found:
    flt = parsed.filters
    if parsed.kind == "regex":
        return regex_search(
            snaps,
            parsed.text,
            ignore_case=parsed.ignore_case,
            limit=limit,
            timeout=timeout,
            filters=flt,
        )
    if parsed.kind == "reference":
        relation = parsed.relation or "uses"
        return reference_search(
            snaps, parsed.text, relation, outliner=outliner, limit=limit, timeout=timeout,
            filters=flt,
        )  # fmt: skip
    if parsed.kind == "symbol":
        files = named_files(snaps, parsed.text, parsed.filters)
        if files:
            return Found(files[:limit], len(files))
        found = symbol_search(
            snaps,
            parsed.text,
            symbol_kind=parsed.symbol_kind,
            limit=limit,
            timeout=timeout,
            filters=flt,
            exact=parsed.exact,
            definitions_only=parsed.relation == "defs",
        )
        if parsed.guessed_name and parsed.relation != "defs":
            # "get template", "strict undefined": one name typed as words beats a word of it.
            joined = _joined_name(snaps, parsed.phrase, parsed.filters, limit, timeout)
            if joined is not None:
                return joined
        defined = any(h.kind == "definition" for h in found.hits)
        if parsed.guessed_name and not defined and parsed.relation != "defs":
            # Question words around a word that names nothing: rank it as a question.
            words = text_search(snaps, parsed.text, limit=limit, filters=flt)
            return words if words.hits else found
        return found
    if parsed.auto:
        joined = _joined_name(snaps, parsed.text, parsed.filters, limit, timeout)
        if joined is not None:
            return joined
    return text_search(snaps, parsed.text, limit=limit, filters=flt)


def _joined_name(
    snaps: Sequence[RepoSnapshot], text: str, filters: Filters, limit: int, timeout: float
) -> Found | None:
    """Two or three bare words may be one name typed with spaces ("json respnse", "Multi
    Dict"): their definitions when the words joined (with "_" or nothing) name something."""
    words = text.split()
    if not 2 <= len(words) <= 3 or not all(_WORD.fullmatch(w) for w in words):
        return None
    if any(w.lower() in _PHRASE_WORDS for w in words):
        return None  # "load the file" is a phrase, not a name
    for name in ("_".join(words), "".join(words)):
        if symbol_search(
            snaps, name, symbol_kind=None, limit=1, timeout=timeout, filters=filters,
            definitions_only=True,
        ).hits:  # fmt: skip
            return symbol_search(
                snaps, name, symbol_kind=None, limit=limit, timeout=timeout, filters=filters
            )
    return None


def bounded(hits: Sequence[Hit], max_chars: int) -> list[Hit]:
    """Keep hits until their text reaches `max_chars`, so a reply stays readable."""
    kept: list[Hit] = []
    used = 0
    for hit in hits:
        used += len(hit.text) + len(hit.path) + 20
        if used > max_chars and kept:
            break
        kept.append(hit)
    return kept


def response(
    query: str,
    kind: str,
    hits: Sequence[Hit],
    total: int,
    truncated: bool,
    incomplete: bool,
    note: str,
    started: float,
    *,
    capped: bool = False,
) -> SearchResponse:
    return SearchResponse(
        query=query,
        kind=kind,
        hits=tuple(hits),
        total=total,
        truncated=truncated,
        incomplete=incomplete,
        note=note,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
        capped=capped,
    )
