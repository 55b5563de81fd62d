"""What a search answers with."""

from __future__ import annotations

from dataclasses import dataclass

KINDS: tuple[str, ...] = ("regex", "symbol", "reference", "text", "semantic")


@dataclass(frozen=True, slots=True)
class Hit:
    repo: str
    path: str  # relative to the repo root, posix separators
    line: int  # 1-based
    text: str  # the matching line, stripped, at most ~200 chars
    symbol: str | None  # enclosing function/class name (e.g. "Environment.get_template"), if known
    kind: str  # "definition" | "reference" | "match"
    score: float
    url: str = ""  # the line on the git host's web pages, at the commit searched (git repos)

    @property
    def location(self) -> str:
        return f"{self.repo}/{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class SearchResponse:
    query: str
    kind: str  # "regex" | "symbol" | "text" | "semantic"
    hits: tuple[Hit, ...]
    total: int  # matches found before truncation
    truncated: bool
    incomplete: bool  # index still building: results may be missing
    note: str = ""  # e.g. "semantic search unavailable; ranked by keywords instead"
    elapsed_ms: float = 0.0
    capped: bool = False  # counting stopped early: `total` is a lower bound ("44+")


@dataclass(frozen=True, slots=True)
class Snippet:
    repo: str
    path: str
    start: int  # first line number shown
    lines: tuple[str, ...]
    highlight: int  # the line number asked for
