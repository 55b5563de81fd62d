"""What the index keeps about one file: its definitions and its ranking chunks."""

from __future__ import annotations

import bisect
import itertools
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from bot.search import dunders, terms
from bot.search.summary import summary
from bot.search.symbols import Outliner, Symbol

NAME_WEIGHT = 3  # a word in a function's name counts as much as three in its body
PROSE_WEIGHT = 1  # a word in a docstring or comment counts once more: it says what code does
# Docstrings and comments (also a "#" or "//" inside a string: close enough for ranking).
_PROSE = re.compile(r'"""(.*?)"""|' r"'''(.*?)'''|#([^\n]*)|//([^\n]*)", re.DOTALL)
MAX_CHUNK_CHARS = 20_000
NOT_ENCLOSING = frozenset({"heading", "variable"})  # never "the function or class around"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A stretch of a file ranked as one document: a definition up to the next one."""

    line: int
    end: int
    symbol: str | None
    terms: dict[str, int]
    length: int
    kind: str = ""  # the kind of the definition the chunk starts with; "" for code between
    summary: dict[str, int] = field(default_factory=dict)  # words of its docstring's summary
    nested: bool = False  # a definition inside a function (a helper of that function)

    @property
    def name_terms(self) -> tuple[str, ...]:
        """The words of the qualified name of the definition the chunk starts with."""
        if not self.kind or not self.symbol:
            return ()
        return tuple(dict.fromkeys(name_words(self.symbol)))


@dataclass(frozen=True, slots=True)
class FileData:
    symbols: tuple[Symbol, ...]  # in line order
    chunks: tuple[Chunk, ...]
    lines: int
    imports: tuple[str, ...] = ()  # names imported by name or listed in __all__ (Python)

    def without_chunks(self) -> FileData:
        # Interned here, in the process that keeps them: many files import the same names.
        return FileData(self.symbols, (), self.lines, tuple(map(sys.intern, self.imports)))

    def enclosing(self, line: int) -> str | None:
        """The innermost definition around `line`, e.g. "Environment.get_template"."""
        i = bisect.bisect_right([s.line for s in self.symbols], line)
        for sym in reversed(self.symbols[:i]):
            if sym.kind not in NOT_ENCLOSING and sym.line <= line <= sym.end:
                return sym.qualname
        return None


def analyze(outliner: Outliner, rel: str, data: bytes) -> FileData:
    suffix = os.path.splitext(rel)[1].lower()
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    symbols = tuple(
        Symbol(
            s.name,
            s.qualname,
            s.kind,
            s.line,
            s.end,
            _shown(lines[s.line - 1]),
            _bodiless(lines, s.line, s.end),
        )
        for s in sorted(outliner.outline(suffix, data), key=lambda s: s.line)
    )
    path_terms = Counter(terms.words(rel.replace("/", " ")))
    starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)]  # line -> text offset
    # A chunk runs from a definition (or the end of one) to the next definition or end, so
    # comments after a method belong to the code around it, not to the method.
    # Variables are definitions to look up, not places to cut: they stay in the chunk around.
    cuts = [s for s in symbols if s.kind != "variable"]
    ends = {s.end + 1 for s in cuts if s.kind != "heading"}
    bounds = sorted({1, len(lines) + 1} | {s.line for s in cuts} | ends)
    bounds = [b for b in bounds if 1 <= b <= len(lines) + 1]
    by_line = {s.line: s for s in reversed(cuts)}  # the outermost definition on a line wins
    kinds = {s.qualname: s.kind for s in cuts}
    chunks = []
    for begin, stop in itertools.pairwise(bounds):
        sym = by_line.get(begin)
        end = min(starts[stop - 1], starts[begin - 1] + MAX_CHUNK_CHARS)
        body = text[starts[begin - 1] : end]
        counts = terms.count(body, path_terms.copy())
        prose = " ".join(m[m.lastindex or 0] or "" for m in _PROSE.finditer(body))
        for _ in range(PROSE_WEIGHT if prose else 0):
            terms.count(prose, counts)
        if sym is not None:
            for word in name_words(sym.qualname):
                counts[word] += NAME_WEIGHT
            qual: str | None = sym.qualname
            kind = sym.kind
            said = terms.count(summary(lines, begin, suffix)) if kind != "heading" else None
        else:
            qual = _innermost(symbols, begin)
            kind = ""
            said = None
        if counts:
            length = sum(counts.values())
            nested = sym is not None and kinds.get(sym.qualname.rpartition(".")[0]) == "function"
            chunks.append(
                Chunk(begin, stop - 1, qual, dict(counts), length, kind, dict(said or {}), nested)
            )
    imports = _imported_names(text) if suffix in (".py", ".pyi") else ()
    count = len(lines) - (1 if text.endswith("\n") else 0)
    return FileData(symbols, tuple(chunks), count, imports)


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M)
_ALL = re.compile(r"^__all__[ \t]*(?::[^=]*)?\+?=[ \t]*[\[(]([^\])]*)[\])]", re.M)
_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_QUOTED_NAME = re.compile(r"[\"']([A-Za-z_]\w*)[\"']")


def name_words(qualname: str) -> list[str]:
    """The words of a qualified name, and what it does when it is a special method
    ("Markup.__add__" -> markup, add, concaten, plus)."""
    return terms.words(f"{qualname} {dunders.operation(qualname.rpartition('.')[2])}")


def _imported_names(text: str) -> tuple[str, ...]:
    """Names this module imports by name (`from x import A, B`) or exports (`__all__`): how
    often a definition is imported elsewhere tells how central it is. A name imported from a
    module is also kept with the module's last part (`from .environment import Template` ->
    "environment.Template"), which tells namesakes in different modules apart."""
    names: set[str] = set()
    for m in _FROM_IMPORT.finditer(text):
        module = m[1].rsplit(".", 1)[-1]
        found = [n for n in _NAME.findall(m[2].split("#")[0]) if n != "as"]
        names.update(found)
        names.update(f"{module}.{n}" for n in found if module)
    for m in _ALL.finditer(text):
        names.update(_QUOTED_NAME.findall(m[1]))
    return tuple(sorted(names))


BODILESS_LINES = 8
_ABSTRACT = re.compile(r"^\s*@(?:abc\.)?abstractmethod\b")


def _bodiless(lines: list[str], line: int, end: int) -> bool:
    """A definition without a body (`def f(x: int) -> int: ...`: an `@overload`, a protocol's
    method) or an abstract method: it declares what another definition does."""
    if end - line >= BODILESS_LINES or end > len(lines):
        return False
    if lines[end - 1].rstrip().endswith("..."):
        return True
    return any(_ABSTRACT.match(text) for text in lines[max(0, line - 4) : line - 1])


def _innermost(symbols: tuple[Symbol, ...], line: int) -> str | None:
    found = None
    for sym in symbols:
        if sym.line > line:
            break
        if sym.kind not in NOT_ENCLOSING and sym.line <= line <= sym.end:
            found = sym.qualname
    return found


def _shown(line: str) -> str:
    text = line.strip()
    return text if len(text) <= 200 else text[:199] + "…"
