"""Symbol queries (definitions first, then references) and plain-language queries (BM25)."""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from bot.search import fuzzy, terms, thesaurus
from bot.search.engine import Found, best_line, candidates, mentioned, regex_lines
from bot.search.index import RepoSnapshot, is_secondary, is_stub
from bot.search.pattern import Pattern, compile_pattern, escape
from bot.search.qualifiers import Filters
from bot.search.ranking import MEMBER_SHARE, TEST_PRIOR, ChunkRef
from bot.search.scan import line_text, matching_lines
from bot.search.symbols import Symbol
from bot.search.types import Hit

_WORDS = re.compile(r"\w\w+")
_KIND_GROUPS = {
    "class": {"class", "struct", "interface", "enum", "type"},
    "function": {"function"},
}
_TESTS_ASKED = {"test", "mock", "fixtur", "pytest"}
RERANK_POOL = 3  # chunks ranked by words, per shown hit, before `standing` reorders them
RERANK_MIN = 20
DUNDER_STANDING = 0.8
PRIVATE_STANDING = 0.85
IMPORTED_STANDING = 0.1  # per file importing the name, up to five
ERROR_STANDING = 0.7
ABSTRACT_STANDING = 0.8
ACTION_SHARE = 0.0  # of a method's score a class gains when the question is led by a verb
FIT_BONUS = 0.15  # a definition named with only asked words (see `_fit`)
FILE_SCORE = 20.0  # a file asked by its name ("loaders.py")
IMPORTED_FROM = 0.5  # per file importing a definition from its module, up to two
BODILESS_PENALTY = 1.5  # below a namesake with a body, above a type stub's (-4)
BODILESS_STANDING = 0.5
# A property getter (also `cached_property`, aiohttp's `reify`) below a namesake that is called:
# it reads as an attribute, while a name is looked up most often for what calling it does
# (`raise_for_status`: the response's method before the session's setting).
PROPERTY_PENALTY = 0.5
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "reify"})
_ERROR_SUFFIXES = ("Error", "Exception", "Warning", "Mismatch", "Failure")
_ERRORS_ASKED = {"error", "exception", "rais", "fail", "warn", "mismatch"}


def symbol_search(
    snaps: Sequence[RepoSnapshot],
    name: str,
    *,
    symbol_kind: str | None,
    limit: int,
    timeout: float,
    filters: Filters | None = None,
    exact: bool = False,
    definitions_only: bool = False,
) -> Found:
    """Definitions of `name` (best first), then the lines that mention it. A name with no
    definition is looked up as its nearest defined names (one or two typos) unless `exact`."""
    flt = filters or Filters()
    last = name.rsplit(".", 1)[-1]
    exact = exact or bool(flt.case_sensitive)
    defs = _definitions(snaps, name, last, symbol_kind, flt, exact, 0)
    if not defs and not exact and not mentioned(snaps, last, timeout=timeout):
        for near in fuzzy.closest_in_any(last.lower(), [s.defs.keys() for s in snaps]):
            defs += _definitions(snaps, name, near, symbol_kind, flt, exact, 1)
    defs.sort(key=lambda h: (-h.score, h.repo, h.path, h.line))
    spellings = {h.symbol.rsplit(".", 1)[-1] for h in defs if h.symbol}
    if definitions_only or len(last) < 2:
        return Found(defs[:limit], len(defs))
    def_lines = {(h.repo, h.path, h.line) for h in defs}
    pattern = _references(last, spellings, timeout)
    # References stop at what is shown: the definitions are the answer, references the context.
    wanted = max(0, limit - len(defs)) + len(def_lines)
    refs = regex_lines(
        snaps,
        pattern,
        deadline=time.monotonic() + timeout,
        limit=wanted,
        cap=max(wanted, 1),
        filters=flt,
    )
    references = [
        Hit(h.repo, h.path, h.line, h.text, h.symbol, "reference", 1.0)
        for h in refs.hits
        if (h.repo, h.path, h.line) not in def_lines
    ]
    hits = (defs + references)[:limit]
    total = len(defs) + max(refs.total - len(def_lines), len(references))
    return Found(hits, total, capped=refs.capped)


_FILE_SUFFIXES_TEXT = """py pyi pyx pxd js jsx mjs ts tsx java c h cc cpp hpp go rs rb cs kt php
    md rst txt json yaml yml toml cfg ini sh html css sql"""
_FILE_SUFFIXES = frozenset(_FILE_SUFFIXES_TEXT.split())


def named_files(snaps: Sequence[RepoSnapshot], name: str, filters: Filters) -> list[Hit]:
    """The files a name like "environment.py" or "README.md" names (by their file name, in any
    case), code before tests and docs, each at its first line; empty for other names."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or suffix.lower() not in _FILE_SUFFIXES:
        return []
    wanted = name.lower()
    hits = []
    for snap in snaps:
        for fid, rel in enumerate(snap.paths):
            data = snap.contents[fid]
            if data is None or rel.rsplit("/", 1)[-1].lower() != wanted:
                continue
            if filters.allows(rel):
                score = FILE_SCORE - (3.0 if is_secondary(rel) else 0.0) - rel.count("/") * 0.01
                hits.append(Hit(snap.name, rel, 1, _line(data, 1), None, "definition", score))
    hits.sort(key=lambda h: (-h.score, h.repo, h.path))
    return hits


def _definitions(
    snaps: Sequence[RepoSnapshot],
    asked: str,
    spelled: str,
    symbol_kind: str | None,
    filters: Filters,
    exact: bool,
    typos: int,
) -> list[Hit]:
    """Definitions named `spelled` (any case unless `exact`), scored (see `definition_score`)."""
    found = []
    for snap in snaps:
        for fid, index in snap.defs.get(spelled.lower(), ()):
            info, data = snap.files[fid], snap.contents[fid]
            rel = snap.paths[fid]
            if info is None or data is None or not filters.allows(rel):
                continue
            sym = info.symbols[index]
            if exact and sym.name != spelled:
                continue
            if filters.kind == "class" and sym.kind not in _KIND_GROUPS["class"]:
                continue  # kind:class asks for classes only; "X class" only prefers them
            score = definition_score(sym, rel, asked, symbol_kind) - 2.0 * typos
            score -= BODILESS_PENALTY if sym.bodiless else 0.0
            score -= PROPERTY_PENALTY if _is_property(data, sym.line) else 0.0
            score += IMPORTED_FROM * min(snap.imported.get(f"{_module(rel)}.{sym.name}", 0), 2)
            found.append(Hit(snap.name, rel, sym.line, sym.header, sym.qualname, "definition",
                             round(score, 3)))  # fmt: skip
    return found


def _module(rel: str) -> str:
    """The last part of the module name of a file: "jinja2/environment.py" -> "environment",
    "yaml/__init__.py" -> "yaml"."""
    parts = rel.rsplit("/", 2)
    stem = parts[-1].split(".", 1)[0]
    return parts[-2] if stem == "__init__" and len(parts) > 1 else stem


def definition_score(sym: Symbol, rel: str, asked: str, symbol_kind: str | None) -> float:
    """The code before its tests, stubs and docs; the name spelled as asked (or at least
    capitalised as asked), in the class asked (`Class.method`, also misspelt), of the kind
    asked, and a top-level definition before a nested namesake."""
    owner, _, typed = asked.rpartition(".")
    score = 10.0
    score -= 3.0 if is_secondary(rel) else 0.0
    score -= 4.0 if is_stub(rel) else 0.0
    if symbol_kind and typed.islower():
        # "request class", "lexer class": typed in lower case, the kind says more than the case.
        score += 1.0 if sym.name == typed else 0.0
    else:
        score += 5.0 if sym.name == typed else 0.0
        score += 1.0 if sym.name[:1].isupper() == typed[:1].isupper() else 0.0
    if owner:
        held_by = sym.qualname.rpartition(".")[0].rsplit(".", 1)[-1].lower()
        wanted = owner.rsplit(".", 1)[-1].lower()
        near = fuzzy.allowed_typos(wanted)
        if held_by == wanted:
            score += 5.0
        elif held_by and OSA.distance(held_by, wanted, score_cutoff=near) <= near:
            score += 3.0  # a misspelt class: after the class spelled as asked
    if symbol_kind:
        score += 3.0 if sym.kind in _KIND_GROUPS.get(symbol_kind, {symbol_kind}) else -2.0
    score += 1.0 if "." not in sym.qualname else 0.0
    score -= 1.0 if sym.kind == "impl" else 0.0
    score -= 3.0 if sym.kind == "variable" else 0.0  # a constant after a namesake function
    return score


def _references(name: str, spellings: set[str], timeout: float) -> Pattern:
    """Uses of `name` as the code spells it: phones capitalise the first letter ("Get_template"),
    so a name asked in another case is looked up as its definitions write it, and a name with
    no definition in any case."""
    if name in spellings or not spellings:
        return compile_pattern(rf"\b{escape(name)}\b", ignore_case=not spellings, timeout=timeout)
    either = "|".join(escape(s) for s in sorted(spellings))
    return compile_pattern(rf"\b(?:{either})\b", timeout=timeout)


def text_search(
    snaps: Sequence[RepoSnapshot], text: str, *, limit: int, filters: Filters | None = None
) -> Found:
    """Chunks ranked by BM25 over the question's words (filler dropped, misspelt words read as
    the nearest indexed word); a definition's own line stands for it."""
    asked = terms.query_words(text) or terms.words(text)
    if not asked:
        return Found([], 0)
    readings = _corrected(snaps, asked)
    words = [word for reading in readings for word in reading]
    tests_asked = bool(_TESTS_ASKED & set(words))
    errors_asked = bool(_ERRORS_ASKED & set(words))
    ranked = []
    pool = max(limit, RERANK_MIN) * RERANK_POOL  # the same pool for any limit: same order
    for snap in snaps:
        weights = _file_weights(snap, filters, tests_asked)
        asked_concepts = thesaurus.concepts(readings, snap.bm25.vocab, snap.bm25.compounds)
        said = {word for concept in asked_concepts for word, _weight in concept}
        # A question led by a verb the code names functions with ("read the body...") asks
        # for what does it: a class does not answer for its methods then.
        share = ACTION_SHARE if asked[0] in snap.bm25.verbs else MEMBER_SHARE
        for score, ref in snap.bm25.top(asked_concepts, pool, snap.priors, weights, share):
            score *= standing(snap, ref.symbol, errors_asked) * _fit(ref, said)
            if ref.is_definition and _defined_at(snap, ref.fid, ref.line).bodiless:
                score *= BODILESS_STANDING
            ranked.append((score, snap, ref))
    ranked.sort(key=lambda item: -item[0])
    needles = [w.encode() for w in dict.fromkeys(words)]
    hits = []
    for score, snap, ref in ranked[:limit]:
        data = snap.contents[ref.fid]
        if data is None:
            continue
        if ref.is_definition:
            line, shown = ref.line, _header(snap, ref.fid, ref.line) or _line(data, ref.line)
        else:
            line, shown = best_line(data, ref.line, ref.end, needles)
        kind = "definition" if ref.symbol and line == ref.line else "match"
        rel = snap.paths[ref.fid]
        hits.append(Hit(snap.name, rel, line, shown, ref.symbol, kind, round(score, 3)))
    return Found(hits, len(ranked))


def standing(snap: RepoSnapshot, qualname: str | None, errors_asked: bool = False) -> float:
    """How likely a definition is what a question is about, beside its words: the more files
    import it, the more central; private helpers, dunder methods, abstract classes and (unless
    the question is about errors) exception classes rank below the rest."""
    if not qualname:
        return 1.0
    name = qualname.rsplit(".", 1)[-1]
    if name.startswith("__") and name.endswith("__"):
        factor = DUNDER_STANDING
    elif name.startswith("_"):
        factor = PRIVATE_STANDING
    else:
        factor = 1.0
    if not errors_asked and name.endswith(_ERROR_SUFFIXES):
        factor *= ERROR_STANDING
    if name.startswith("Abstract"):
        factor *= ABSTRACT_STANDING  # it declares; its subclasses do the work
    return factor * (1.0 + IMPORTED_STANDING * min(snap.imported.get(name, 0), 5))


def _fit(ref: ChunkRef, said: set[str]) -> float:
    """Above 1 for a definition whose own name is made of two or more asked words (a name of
    one word is too easily asked by chance): "cookie jar" is
    `CookieJar` before `AbstractCookieJar`, "safe load" `safe_load` before `safe_load_all`."""
    if not ref.is_definition or not ref.symbol:
        return 1.0
    own = set(terms.words(ref.symbol.rsplit(".", 1)[-1]))
    return 1.0 + FIT_BONUS if len(own) >= 2 and own <= said else 1.0


def _corrected(snaps: Sequence[RepoSnapshot], words: list[str]) -> list[tuple[str, ...]]:
    """How each asked word is read, once per word: as asked, or, when no repository knows it,
    as the nearest words some repository knows (one or two: either may be meant). A word of
    the thesaurus is a real word, read as asked: its synonyms may be in the code."""
    out: list[tuple[str, ...]] = []
    for word in dict.fromkeys(words):
        if thesaurus.knows(word):
            out.append((word,))
            continue
        near = fuzzy.closest_word(word, [s.bm25.vocab.keys() for s in snaps])
        out.append(tuple(near[:2]) or (word,))
    return list(dict.fromkeys(out))


def _file_weights(
    snap: RepoSnapshot, filters: Filters | None, tests_asked: bool
) -> npt.NDArray[np.float32] | None:
    """Per file: 0 where the qualifiers leave it out; tests back at full weight when asked."""
    if not tests_asked and (filters is None or not filters.narrows_files):
        return None
    weights = np.ones(len(snap.paths), dtype=np.float32)
    if tests_asked:
        tests = np.array([is_secondary(p) for p in snap.paths], dtype=np.bool_)
        weights[tests] = 1 / TEST_PRIOR
    if filters is not None and filters.narrows_files:
        allowed = [filters.allows(p) for p in snap.paths]
        weights *= np.array(allowed, dtype=np.float32)
    return weights


_NOTHING = Symbol("", "", "", 0, 0)


def _defined_at(snap: RepoSnapshot, fid: int, line: int) -> Symbol:
    """The definition starting at `line` as the index keeps it (an empty one when none)."""
    info = snap.files[fid]
    if info is None:
        return _NOTHING
    i = bisect.bisect_left(info.symbols, line, key=lambda s: s.line)
    found = info.symbols[i] if i < len(info.symbols) else _NOTHING
    return found if found.line == line else _NOTHING


def _header(snap: RepoSnapshot, fid: int, line: int) -> str:
    """The first line of the definition starting at `line`, as the index keeps it."""
    return _defined_at(snap, fid, line).header


def _is_property(data: bytes, line: int) -> bool:
    """The definition at ``line`` is decorated as a property (`@property`,
    `@functools.cached_property`, `@reify`)."""
    start = _offset(data, line)
    above = data[max(0, start - 400) : start].splitlines()[-4:]
    for raw in reversed(above):
        text = raw.strip()
        if not text.startswith(b"@"):
            return False
        name = text[1:].split(b"(", 1)[0].rsplit(b".", 1)[-1].decode("utf-8", "replace")
        if name in _PROPERTY_DECORATORS:
            return True
    return False


def _offset(data: bytes, line: int) -> int:
    """Where ``line`` (1-based) starts in ``data``."""
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return len(data)
    return start


def _line(data: bytes, line: int) -> str:
    start = _offset(data, line)
    end = data.find(b"\n", start)
    return line_text(data, start, len(data) if end < 0 else end)


def occurs(snap: RepoSnapshot, text: str, *, timeout: float, max_bytes: int = 0) -> bool:
    """Every word of `text` (two letters or more) is a whole word somewhere in `snap`'s code, in
    any case; tests and docs do not count (they quote typos and prose). False when `text` has no
    such word, or the time runs out. ``max_bytes`` (0: no limit) bounds the code read for each
    word, so that the answer depends on the code, not on how busy the machine is; the timeout
    is only a safety net."""
    words = dict.fromkeys(w.lower() for w in _WORDS.findall(text))
    deadline = time.monotonic() + timeout
    for word in words:
        pattern = compile_pattern(rf"\b{escape(word)}\b", ignore_case=True, timeout=timeout)
        code, _tests_and_docs = candidates(snap, pattern)
        read = 0
        for fid in code:
            data = snap.contents[fid]
            if _has_match(pattern, data, deadline):
                break
            read += len(data or b"")
            if max_bytes and read > max_bytes:
                return False
        else:
            return False
    return bool(words)


def _has_match(pattern: Pattern, data: bytes | None, deadline: float) -> bool:
    if data is None or time.monotonic() > deadline:
        return False
    return next(matching_lines(pattern, data, deadline, first_line_only=True), None) is not None
