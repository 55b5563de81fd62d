"""Line-oriented matching over a file's bytes: every line holding a match, once, in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.search.pattern import Pattern

MAX_LINE_CHARS = 200


def matching_lines(
    pattern: Pattern, data: bytes, deadline: float, *, first_line_only: bool = False
) -> Iterator[tuple[int, int, int]]:
    """(line number, line start, line end) of each matching line; 1-based line numbers."""
    if pattern.anchor:
        yield from _anchored(pattern, pattern.anchor, data, deadline, first_line_only)
        return
    pos, size = 0, len(data)
    line_no, counted_to = 1, 0
    while pos <= size:
        span = pattern.find(data, pos, size, deadline)
        if span is None:
            return
        start, end = span
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        if line_end < 0:
            line_end = size
        if end > line_end and pattern.find(data, line_start, line_end, deadline) is None:
            # The match ran over the end of the line (a fallback-engine pattern with \s or [^x]);
            # the line counts only if it matches on its own, as ripgrep sees it.
            pos = line_end + 1
            continue
        if start == size and line_start == size and size > 0:
            return  # an empty match after the final newline is not a line
        line_no += data.count(b"\n", counted_to, line_start)
        counted_to = line_start
        yield line_no, line_start, line_end
        if first_line_only:
            return
        pos = line_end + 1


def _anchored(
    pattern: Pattern, anchor: bytes, data: bytes, deadline: float, first_only: bool
) -> Iterator[tuple[int, int, int]]:
    """Jump from one occurrence of the anchor literal to the next (bytes.find is far faster
    than the regex at skipping), and try the regex on that line alone."""
    pos, size = 0, len(data)
    line_no, counted_to = 1, 0
    while True:
        at = data.find(anchor, pos)
        if at < 0:
            return
        line_start = data.rfind(b"\n", 0, at) + 1
        line_end = data.find(b"\n", at)
        if line_end < 0:
            line_end = size
        if pattern.find(data, line_start, line_end, deadline) is not None:
            line_no += data.count(b"\n", counted_to, line_start)
            counted_to = line_start
            yield line_no, line_start, line_end
            if first_only:
                return
        pos = line_end + 1


def line_text(data: bytes, start: int, end: int) -> str:
    """The line as shown in results: decoded, stripped, at most MAX_LINE_CHARS characters."""
    text = data[start : min(end, start + MAX_LINE_CHARS * 4)].decode("utf-8", "replace").strip()
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"
