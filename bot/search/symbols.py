"""Function and class definitions: tree-sitter (one grammar wheel per language), else regexes."""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from typing import Any

import tree_sitter as ts

from bot.search.grammars import GRAMMARS, LANGUAGE_OF


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str  # "get_template"
    qualname: str  # "Environment.get_template"
    kind: str  # "class" | "function" | "interface" | "type" | "heading" ...
    line: int  # 1-based first line
    end: int  # 1-based last line
    header: str = ""  # the first line, stripped (shown in results)
    bodiless: bool = False  # `def f(x: int) -> int: ...`, an abstract method (see analyze.py)


_CYTHON = (".pyx", ".pxd")  # no grammar wheel: read by the patterns below
_FALLBACK = re.compile(
    rb"^[ \t]*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:public\s+|private\s+|static\s+)*"
    rb"(?:c?p?def\s+(?=class\b))?"
    rb"(?P<kind>class|def|function|interface|struct|enum)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_HEADING = re.compile(rb"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # the called name, without its object or module ("get_template")
    line: int  # 1-based line where the callee's name is


class Outliner:
    """Finds definitions and call sites in source files. Holds one parser and query per language."""

    def __init__(self) -> None:
        self._tools: dict[str, tuple[ts.Parser, ts.Query] | None] = {}
        self._calls: dict[str, ts.Query | None] = {}

    def outline(self, suffix: str, data: bytes) -> list[Symbol]:
        if suffix == ".md":
            return _headings(data)
        if suffix in _CYTHON:
            return _by_regex(data)
        language = LANGUAGE_OF.get(suffix)
        tools = self._tool(language) if language else None
        if tools is None:
            return _by_regex(data) if language else []
        parser, query = tools
        tree = parser.parse(data)
        found: list[tuple[int, int, str, str, int, int]] = []
        for _index, captures in ts.QueryCursor(query).matches(tree.root_node):
            name_nodes = captures.get("name")
            if not name_nodes:
                continue
            kind, node = next((k, v[0]) for k, v in captures.items() if k != "name")
            name = (name_nodes[0].text or b"").decode("utf-8", "replace")
            rows = (node.start_point[0] + 1, node.end_point[0] + 1)
            found.append((node.start_byte, node.end_byte, kind, name, *rows))
        return _qualify(found)

    def calls(self, suffix: str, data: bytes, name: str | None = None) -> list[Call]:
        """Call sites (and decorators, constructions) in `data`, of `name` only when given;
        empty when the language has no grammar installed."""
        language = LANGUAGE_OF.get(suffix)
        tools = self._tool(language) if language else None
        if tools is None or language is None:
            return []
        if language not in self._calls:
            self._calls[language] = _call_query(tools[0], language)
        query = self._calls[language]
        if query is None:
            return []
        wanted = name.encode() if name is not None else None
        found: dict[tuple[int, str], Call] = {}
        tree = tools[0].parse(data)
        for node in ts.QueryCursor(query).captures(tree.root_node).get("callee", ()):
            text = node.text or b""
            if wanted is None or text == wanted:
                call = Call(text.decode("utf-8", "replace"), node.start_point[0] + 1)
                found.setdefault((call.line, call.name), call)
        return sorted(found.values(), key=lambda c: c.line)

    def _tool(self, language: str) -> tuple[ts.Parser, ts.Query] | None:
        if language not in self._tools:
            self._tools[language] = _load(language)
        return self._tools[language]


def _load(language: str) -> tuple[ts.Parser, ts.Query] | None:
    grammar = GRAMMARS[language]
    try:
        module: Any = importlib.import_module(grammar.module)
        lang = ts.Language(getattr(module, grammar.function)())
        return ts.Parser(lang), ts.Query(lang, grammar.definitions)
    except (ImportError, AttributeError, ValueError, ts.QueryError):
        return None


def _call_query(parser: ts.Parser, language: str) -> ts.Query | None:
    lang = parser.language
    try:
        return ts.Query(lang, GRAMMARS[language].calls) if lang is not None else None
    except (ValueError, ts.QueryError):
        return None


def _qualify(found: list[tuple[int, int, str, str, int, int]]) -> list[Symbol]:
    """Nest definitions by byte range, so a method is named "Class.method"."""
    found.sort(key=lambda f: (f[0], -f[1]))
    stack: list[tuple[int, str]] = []  # (end byte, qualname)
    symbols: list[Symbol] = []
    seen: set[tuple[int, str]] = set()
    for start, end, kind, name, line, last in found:
        if (start, name) in seen:
            continue
        seen.add((start, name))
        while stack and stack[-1][0] <= start:
            stack.pop()
        qualname = f"{stack[-1][1]}.{name}" if stack else name
        stack.append((end, qualname))
        symbols.append(Symbol(name, qualname, sys.intern(kind), line, last))
    return symbols


def _by_regex(data: bytes) -> list[Symbol]:
    kinds = {"def": "function", "function": "function"}
    out = []
    line, counted = 1, 0
    for m in _FALLBACK.finditer(data):
        line, counted = line + data.count(b"\n", counted, m.start()), m.start()
        kind = m["kind"].decode()
        name = m["name"].decode("utf-8", "replace")
        out.append(Symbol(name, name, kinds.get(kind, kind), line, line))
    return out


def _headings(data: bytes) -> list[Symbol]:
    out = []
    line, counted = 1, 0
    for m in _HEADING.finditer(data):
        line, counted = line + data.count(b"\n", counted, m.start()), m.start()
        title = m[2].decode("utf-8", "replace")[:120]
        out.append(Symbol(title, title, "heading", line, line))
    return out
