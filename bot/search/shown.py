"""Code as a user sees it: search hits and snippets with committed secrets masked.

Every line of code that leaves the search service goes through here, so search results, `open`,
local answers, explanations and the CLI all show the same masked text (bot/secrets.py).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.errors import QueryError
from bot.search.scan import MAX_LINE_CHARS
from bot.search.types import Hit
from bot.secrets import MASK, SecretMasker, private_key_lines

if TYPE_CHECKING:
    from bot.search.pattern import Pattern
    from bot.search.query import ParsedQuery

_HAS_KEY = b"PRIVATE KEY-----"
Contents = Callable[[str, str], "bytes | None"]  # (repo, path) -> the indexed file


class ShownCode:
    def __init__(self, masker: SecretMasker, contents: Contents) -> None:
        self._masker = masker
        self._contents = contents

    def hits(self, hits: Sequence[Hit], parsed: ParsedQuery | None) -> list[Hit]:
        """Secrets masked. A regex hit whose match lay inside a secret is dropped, or a pattern
        could spell a key out one character at a time (/AKIA[A-M]/, then /AKIA[A-G]/...)."""
        if not self._masker.enabled:
            return list(hits)
        shown: list[Hit] = []
        recheck: Pattern | None = None
        for hit in hits:
            text = self._line(hit)
            if text != hit.text and parsed is not None and parsed.kind == "regex":
                recheck = recheck or _pattern(parsed)
                if recheck is None or not _matches(recheck, text):
                    continue
            shown.append(hit if text == hit.text else dataclasses.replace(hit, text=text))
        return shown

    def lines(self, data: bytes, shown: Sequence[str], start: int) -> list[str]:
        """Lines ``start``... of a file whose whole content is ``data``."""
        keys = private_key_lines(data.decode("utf-8", "replace")) if _HAS_KEY in data else []
        return self._masker.mask_lines(shown, start, keys)

    def _line(self, hit: Hit) -> str:
        data = self._contents(hit.repo, hit.path)
        if data is not None and _HAS_KEY in data:
            keys = private_key_lines(data.decode("utf-8", "replace"))
            if any(hit.line in block for block in keys):
                return MASK
        if data is not None and hit.text.endswith("…"):
            # Cut at the display limit, a key could be cut short of its known shape: mask the
            # whole line, then cut it again.
            lines = data.splitlines()
            if 1 <= hit.line <= len(lines):
                whole = self._masker.mask(lines[hit.line - 1].decode("utf-8", "replace").strip())
                return whole if len(whole) <= MAX_LINE_CHARS else whole[: MAX_LINE_CHARS - 1] + "…"
        return self._masker.mask(hit.text)


def _pattern(parsed: ParsedQuery) -> Pattern | None:
    from bot.search.pattern import compile_pattern  # the regex engines, with the first regex

    try:
        return compile_pattern(parsed.text, ignore_case=parsed.ignore_case, timeout=0.05)
    except QueryError:
        return None


def _matches(pattern: Pattern, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        return pattern.find(data, 0, len(data), time.monotonic() + pattern.timeout) is not None
    except QueryError:  # too slow to tell: do not show it
        return False
