"""Text that reads as code is a query, whatever words it holds: `next_token`, `Env.get()`."""

from __future__ import annotations

import re

# Quoted or slashed text is a literal search ("/help/", "`continue`"), never a command.
_CLOSING = {"/": "/", '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019"}
_CODE_SHAPES = re.compile(
    r"""
      \w_\w | ^_\w | \w__\b                # snake_case, _private, __dunder__
    | \b[a-z]+[A-Z]\w*                     # camelCase
    | \b[A-Z][a-z0-9]+[A-Z]\w*             # PascalCase with a second capital
    | \b[A-Z]{2,}[a-z]\w*                  # HTTPServer
    | \w\.\w+\(                            # obj.call(
    | \b[A-Za-z_]\w*\.[A-Za-z_]\w*\b       # dotted.name (not "3.5", not "e.g.")
    | \w\(\)? | \(\)                       # call() or call(
    | ::|->|=>|==|!=|\+=|<=|>=|\{\}|\[\]   # operators and brackets
    | \\[wdsbWDSB.] | \.\*|\.\+            # regex pieces
    | ^\s*(?:def|class|async\s+def)\s+\w     # a definition
    | ^\s*(?:from\s+[\w.]+\s+)?import\s+\w   # an import
    | (?:^|\s)['"“‘`][^'"“”‘’`]+['"”’`](?=[\s?.!,]|$)   # a 'quoted' or `ticked` part
    """,
    re.VERBOSE,
)
_NOT_CODE = re.compile(r"\b(?:e\.g|i\.e|etc|vs|no)\.")  # abbreviations with a dot


def is_literal(text: str) -> bool:
    """Text wrapped in /slashes/, quotes or backticks: a query, taken word for word."""
    t = text.strip()
    if len(t) < 3 or t[0] not in _CLOSING:
        return False
    return t.endswith(_CLOSING[t[0]]) or (t[0] == "/" and t.endswith("/i"))


def looks_like_code(text: str) -> bool:
    """Identifiers with underscores or inner capitals, dotted names, calls, operators, regex
    pieces, quoted or backticked text: what people type when they mean the code itself."""
    t = text.strip()
    if is_literal(t) or "`" in t:
        return True
    return bool(_CODE_SHAPES.search(_NOT_CODE.sub(" ", t)))
