"""Symbol queries (definitions first, then references) and plain-language queries (BM25)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from bot.search import terms
from bot.search.engine import Found, best_line, candidates, regex_lines
from bot.search.index import RepoSnapshot
from bot.search.pattern import Pattern, compile_pattern, escape
from bot.search.scan import matching_lines
from bot.search.types import Hit

_WORDS = re.compile(r"\w\w+")
_KIND_GROUPS = {
    "class": {"class", "struct", "interface", "enum", "type"},
    "function": {"function"},
}


def symbol_search(
    snaps: Sequence[RepoSnapshot],
    name: str,
    *,
    symbol_kind: str | None,
    limit: int,
    timeout: float,
) -> Found:
    last = name.rsplit(".", 1)[-1]
    defs: list[Hit] = []
    def_lines: set[tuple[str, str, int]] = set()
    spellings: set[str] = set()  # how the definitions found write the name
    for snap in snaps:
        for fid, index in snap.defs.get(last.lower(), ()):
            info, data = snap.files[fid], snap.contents[fid]
            if info is None or data is None:
                continue
            sym = info.symbols[index]
            spellings.add(sym.name)
            score = 10.0 * snap.priors.get(fid, 1.0)
            score += 5.0 if sym.name == last else 0.0
            score += 5.0 if "." in name and (sym.qualname.endswith(name)) else 0.0
            score += (
                3.0
                if symbol_kind and sym.kind in _KIND_GROUPS.get(symbol_kind, {symbol_kind})
                else 0.0
            )
            score += 1.0 if "." not in sym.qualname else 0.0  # top-level before nested namesakes
            text = sym.header
            rel = snap.paths[fid]
            defs.append(Hit(snap.name, rel, sym.line, text, sym.qualname, "definition", score))
            def_lines.add((snap.name, rel, sym.line))
    defs.sort(key=lambda h: (-h.score, h.repo, h.path, h.line))
    if len(last) < 2:
        return Found(defs[:limit], len(defs))
    pattern = _references(last, spellings, timeout)
    # References stop at what is shown: the definitions are the answer, references the context.
    wanted = max(0, limit - len(defs)) + len(def_lines)
    refs = regex_lines(
        snaps, pattern, deadline=time.monotonic() + timeout, limit=wanted, cap=max(wanted, 1)
    )
    references = [
        Hit(h.repo, h.path, h.line, h.text, h.symbol, "reference", 1.0)
        for h in refs.hits
        if (h.repo, h.path, h.line) not in def_lines
    ]
    hits = (defs + references)[:limit]
    total = len(defs) + max(refs.total - len(def_lines), len(references))
    return Found(hits, total, capped=refs.capped)


def _references(name: str, spellings: set[str], timeout: float) -> Pattern:
    """Uses of `name` as the code spells it: phones capitalise the first letter ("Get_template"),
    so a name asked in another case is looked up as its definitions write it, and a name with
    no definition in any case."""
    if name in spellings or not spellings:
        return compile_pattern(rf"\b{escape(name)}\b", ignore_case=not spellings, timeout=timeout)
    either = "|".join(escape(s) for s in sorted(spellings))
    return compile_pattern(rf"\b(?:{either})\b", timeout=timeout)


def text_search(snaps: Sequence[RepoSnapshot], text: str, *, limit: int) -> Found:
    words = terms.words(text)
    if not words:
        return Found([], 0)
    ranked = []
    for snap in snaps:
        for score, ref in snap.bm25.top(words, limit, snap.priors):
            ranked.append((score, snap, ref))
    ranked.sort(key=lambda item: -item[0])
    needles = [w.encode() for w in dict.fromkeys(words)]
    hits = []
    for score, snap, ref in ranked[:limit]:
        data = snap.contents[ref.fid]
        if data is None:
            continue
        line, shown = best_line(data, ref.line, ref.end, needles)
        kind = "definition" if ref.symbol and line == ref.line else "match"
        rel = snap.paths[ref.fid]
        hits.append(Hit(snap.name, rel, line, shown, ref.symbol, kind, round(score, 3)))
    return Found(hits, len(ranked))


def occurs(snap: RepoSnapshot, text: str, *, timeout: float) -> bool:
    """Every word of `text` (two letters or more) is a whole word somewhere in `snap`'s code, in
    any case; tests and docs do not count (they quote typos and prose). False when `text` has no
    such word or the time runs out."""
    words = dict.fromkeys(w.lower() for w in _WORDS.findall(text))
    deadline = time.monotonic() + timeout
    for word in words:
        pattern = compile_pattern(rf"\b{escape(word)}\b", ignore_case=True, timeout=timeout)
        code, _tests_and_docs = candidates(snap, pattern)
        if not any(_has_match(pattern, snap.contents[fid], deadline) for fid in code):
            return False
    return bool(words)


def _has_match(pattern: Pattern, data: bytes | None, deadline: float) -> bool:
    if data is None or time.monotonic() > deadline:
        return False
    return next(matching_lines(pattern, data, deadline, first_line_only=True), None) is not None
