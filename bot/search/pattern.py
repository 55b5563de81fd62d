"""Compiling a user's regex: RE2 (linear time) first, the `regex` module with a time bound second.

RE2 runs on bytes with `never_nl`, so a match never spans lines (the way ripgrep matches).
Lookarounds and backreferences, which RE2 lacks, go to the `regex` module: compiled only after a
capped child process showed it fits (fallback.py), and matched with a timeout, so a catastrophic
pattern costs at most the configured budget in time and MEMORY_BYTES in memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import re2
import regex

from bot.errors import QueryError
from bot.search.fallback import compile_fallback
from bot.search.literals import anchor_of

MAX_PATTERN_CHARS = 500
_UNANCHORED = re2._Anchor.UNANCHORED


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern that finds the first match in data[pos:endpos]."""

    source: str
    ignore_case: bool
    engine: str  # "re2" | "regex"
    _compiled: Any = field(repr=False)
    timeout: float = 1.0
    anchor: bytes | None = None  # a literal every matching line contains

    def find(self, data: bytes, pos: int, endpos: int, deadline: float) -> tuple[int, int] | None:
        """(start, end) of the first match, or None. Raises QueryError past the deadline."""
        if self.engine == "re2":
            span: tuple[int, int] = self._compiled.Match(_UNANCHORED, data, pos, endpos)[0]
            return None if span[0] < 0 else span
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(self.source, self.timeout)
        try:
            m = self._compiled.search(data, pos, endpos, timeout=remaining)
        except TimeoutError:
            raise _timeout(self.source, self.timeout) from None
        return None if m is None else m.span()


def _timeout(source: str, seconds: float) -> QueryError:
    return QueryError(
        f"The pattern /{source}/ took longer than {seconds:g} s (it backtracks heavily); "
        "simplify it or drop lookarounds/backreferences."
    )


def compile_pattern(source: str, *, ignore_case: bool = False, timeout: float = 1.0) -> Pattern:
    """Compile `source`; QueryError with a readable reason when it is not a valid regex."""
    if not source:
        raise QueryError("The pattern is empty; give some text or a regex to look for.")
    if len(source) > MAX_PATTERN_CHARS:
        raise QueryError(f"The pattern is longer than {MAX_PATTERN_CHARS} characters.")
    options = re2.Options()
    options.never_nl = True
    options.never_capture = True
    options.log_errors = False
    options.case_sensitive = not ignore_case
    try:
        compiled = re2.compile(b"(?m)" + source.encode("utf-8"), options)
        anchor = anchor_of(source, ignore_case=ignore_case)
        return Pattern(source, ignore_case, "re2", compiled._regexp, timeout, anchor)
    except re2.error:
        pass  # lookarounds or backreferences: the backtracking engine, bounded (fallback.py)
    flags = regex.MULTILINE | regex.VERSION0 | (regex.IGNORECASE if ignore_case else 0)
    fallback = compile_fallback(source, flags, timeout=timeout)
    anchor = anchor_of(source, ignore_case=ignore_case)
    return Pattern(source, ignore_case, "regex", fallback, timeout, anchor)


def escape(text: str) -> str:
    """A regex matching `text` literally."""
    return str(re2.escape(text))
