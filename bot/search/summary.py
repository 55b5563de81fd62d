"""What a definition says it does: the first paragraph of its docstring (Python) or, without
one, of the comment block right above it (any language: `#`, `//`, `/* */`, `/** */`).

Ranking keeps it as a field of its own (see ranking.py): a question is often worded as the
summary line of the function it asks for ("Convert URLs in text into clickable links.").
"""

from __future__ import annotations

import re

MAX_CHARS = 400  # of a summary: its first paragraph, at most
HEADER_LINES = 60  # a signature longer than this is not searched for a docstring
_PYTHON = (".py", ".pyi", ".pyx", ".pxd")
_DOCSTRING = re.compile(r"""^[rRuUbB]{0,2}("{3}|'{3}|"|')""")
_HASH_COMMENTS = (*_PYTHON, ".rb", ".sh")
_HASH_COMMENT = re.compile(r"^\s*#(?![!])")
_SLASH_COMMENT = re.compile(r"^\s*(?://+|/\*+|\*+/?)")
_DECORATOR = re.compile(r"^\s*@")
_TRAILING_COMMENT = re.compile(r"\s#.*$")
_STRING = re.compile(r""""[^"]*"|'[^']*'""")


def summary(lines: list[str], line: int, suffix: str) -> str:
    """The summary of the definition whose header is on `line` (1-based) of `lines`; "" when it
    has none."""
    found = _docstring(lines, line) if suffix in _PYTHON else ""
    return found or _comment_above(lines, line, suffix)


def _docstring(lines: list[str], line: int) -> str:
    """The first paragraph of the string that is the first statement after the header."""
    last = min(len(lines), line - 1 + HEADER_LINES)
    i, depth = line - 1, 0
    while i < last:
        code = _TRAILING_COMMENT.sub("", _STRING.sub("", lines[i])).rstrip()
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth <= 0 and code.endswith(":"):
            break
        i += 1
    else:
        return ""
    i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return ""
    start = lines[i].strip()
    opened = _DOCSTRING.match(start)
    if not opened:
        return ""
    quote = opened[1]
    text = [start[opened.end() :]]
    while quote not in text[-1] and i + 1 < len(lines) and len(text) < 20:
        i += 1
        text.append(lines[i].strip())
    body = "\n".join(text).split(quote, 1)[0]
    return _first_paragraph(body.split("\n"))


def _comment_above(lines: list[str], line: int, suffix: str) -> str:
    """The comment lines right above the header (decorators between them skipped)."""
    comment = _HASH_COMMENT if suffix in _HASH_COMMENTS else _SLASH_COMMENT
    i = line - 2
    while i >= 0 and _DECORATOR.match(lines[i]):
        i -= 1
    block: list[str] = []
    while i >= 0 and comment.match(lines[i]) and len(block) < 20:
        block.append(comment.sub("", lines[i], count=1).strip().rstrip("*/").strip())
        i -= 1
    return _first_paragraph(block[::-1])


def _first_paragraph(text: list[str]) -> str:
    out: list[str] = []
    for part in text:
        if not part.strip():
            if out:
                break
            continue
        out.append(part.strip())
    return " ".join(out)[:MAX_CHARS]
