"""Code blocks sent to a model or shown in local answers: numbered lines, bounded in size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.search.types import Snippet

BEFORE, AFTER = 6, 15  # lines shown around a hit: more after it, where a body goes on


@dataclass(frozen=True, slots=True)
class Block:
    text: str  # "path:first-last" then the numbered lines
    excerpt: str = ""  # a few numbered lines around the hit, for local answers


def numbered(snippet: Snippet, first: int, last: int) -> str:
    """Lines ``first``..``last`` of the snippet, each prefixed with its line number."""
    first, last = max(first, snippet.start), min(last, snippet.start + len(snippet.lines) - 1)
    width = len(str(last))
    return "\n".join(
        f"{n:>{width}} {snippet.lines[n - snippet.start]}" for n in range(first, last + 1)
    )


def around(
    snippet: Snippet, hit: Mapping[str, Any], definition: int | None, max_chars: int
) -> Block:
    """The code around the hit's line (from its enclosing definition when that is close), cut to
    ``max_chars``: whole lines, nearest the hit first."""
    line = int(hit["line"])
    first = definition if definition is not None and line - definition <= 20 else line - BEFORE
    last = line + AFTER
    body = numbered(snippet, first, last)
    while len(body) > max_chars and last > line:
        last -= 2
        first = min(line, first + 2)
        body = numbered(snippet, first, last)
    body = body[:max_chars]
    end = min(last, snippet.start + len(snippet.lines) - 1)
    signature = ""
    if definition is not None and definition < max(first, snippet.start):
        signature = numbered(snippet, definition, definition) + "\n...\n"
    return Block(
        f"{hit['path']}:{max(first, snippet.start)}-{end}\n{signature}{body}",
        numbered(snippet, line - 2, line + 3),
    )
