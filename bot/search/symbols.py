"""Function and class definitions: tree-sitter (one grammar wheel per language), else regexes."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

import tree_sitter as ts


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str  # "get_template"
    qualname: str  # "Environment.get_template"
    kind: str  # "class" | "function" | "interface" | "type" | "heading" ...
    line: int  # 1-based first line
    end: int  # 1-based last line
    header: str = ""  # the first line, stripped (shown in results)


_FUNCS = "(function_definition) @function"
_JS = """
(class_declaration name: (_) @name) @class
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(method_definition name: (_) @name) @function
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @function
"""
_TS_EXTRA = """
(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(abstract_class_declaration name: (type_identifier) @name) @class
(function_signature name: (identifier) @name) @function
(method_signature name: (_) @name) @function
"""
_C = """
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @function
(function_definition declarator: (pointer_declarator declarator:
  (function_declarator declarator: (identifier) @name))) @function
(struct_specifier name: (type_identifier) @name body: (_)) @struct
(enum_specifier name: (type_identifier) @name body: (_)) @enum
(type_definition declarator: (type_identifier) @name) @type
"""
_CPP_EXTRA = """
(function_definition declarator: (function_declarator declarator: (_) @name)) @function
(class_specifier name: (type_identifier) @name body: (_)) @class
(namespace_definition name: (_) @name) @namespace
"""
# language -> (grammar module, its function, query text)
GRAMMARS: dict[str, tuple[str, str, str]] = {
    "python": (
        "tree_sitter_python",
        "language",
        "(class_definition name: (identifier) @name) @class\n"
        "(function_definition name: (identifier) @name) @function",
    ),
    "javascript": ("tree_sitter_javascript", "language", _JS),
    "typescript": ("tree_sitter_typescript", "language_typescript", _JS + _TS_EXTRA),
    "tsx": ("tree_sitter_typescript", "language_tsx", _JS + _TS_EXTRA),
    "java": (
        "tree_sitter_java",
        "language",
        "(class_declaration name: (identifier) @name) @class\n"
        "(interface_declaration name: (identifier) @name) @interface\n"
        "(enum_declaration name: (identifier) @name) @enum\n"
        "(record_declaration name: (identifier) @name) @class\n"
        "(method_declaration name: (identifier) @name) @function\n"
        "(constructor_declaration name: (identifier) @name) @function",
    ),
    "c": ("tree_sitter_c", "language", _C),
    "cpp": ("tree_sitter_cpp", "language", _C.split("(struct_specifier")[0] + _CPP_EXTRA
            + "(struct_specifier name: (type_identifier) @name body: (_)) @struct"),
}  # fmt: skip
LANGUAGE_OF: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript", ".tsx": "tsx",
    ".java": "java", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp",
    ".hpp": "cpp", ".hh": "cpp",
}  # fmt: skip
_FALLBACK = re.compile(
    rb"^[ \t]*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:public\s+|private\s+|static\s+)*"
    rb"(?P<kind>class|def|function|interface|struct|enum)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_HEADING = re.compile(rb"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


class Outliner:
    """Finds definitions in source files. Holds one parser and query per language."""

    def __init__(self) -> None:
        self._tools: dict[str, tuple[ts.Parser, ts.Query] | None] = {}

    def outline(self, suffix: str, data: bytes) -> list[Symbol]:
        if suffix == ".md":
            return _headings(data)
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

    def _tool(self, language: str) -> tuple[ts.Parser, ts.Query] | None:
        if language not in self._tools:
            self._tools[language] = _load(language)
        return self._tools[language]


def _load(language: str) -> tuple[ts.Parser, ts.Query] | None:
    module_name, func, query_text = GRAMMARS[language]
    try:
        module: Any = importlib.import_module(module_name)
        lang = ts.Language(getattr(module, func)())
        return ts.Parser(lang), ts.Query(lang, query_text)
    except (ImportError, AttributeError, ValueError, ts.QueryError):
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
        symbols.append(Symbol(name, qualname, kind, line, last))
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
