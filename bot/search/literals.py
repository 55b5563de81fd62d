"""Which literal strings a regex needs, as an AND/OR query over trigrams (as in Google Code Search).

The pattern is read with Python's own regex parser. Anything it cannot read, or reads as
something other than a plain literal, adds no requirement: the prefilter may only ever widen the
candidate set, never drop a file that RE2 would match.
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

sre_c: Any = importlib.import_module("re._constants")
sre_parse: Any = importlib.import_module("re._parser")

_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)}


_INLINE_ICASE = re.compile(r"\(\?[a-zA-Z]*i")


def anchor_of(source: str, *, ignore_case: bool) -> bytes | None:
    """The longest literal, exactly as written, that every match of a case-sensitive pattern
    contains (so every matching line does); None if there is none or case is ignored."""
    if ignore_case or _INLINE_ICASE.search(source):
        return None
    return _longest(required(source, ignore_case=False))


def _longest(need: Need | None) -> bytes | None:
    if need is None or need.op == "or":
        return None
    if need.op == "lit":
        return need.text
    texts = [p.text for p in need.parts if p.op == "lit"]
    return max(texts, key=len) if texts else None


@dataclass(frozen=True, slots=True)
class Need:
    """op "lit": the text must occur; "and"/"or": of the parts. None elsewhere means "any file"."""

    op: str
    text: bytes = b""
    parts: tuple[Need, ...] = ()


def required(source: str, *, ignore_case: bool) -> Need | None:
    """The literals `source` needs (as bytes, lower-cased when the pattern ignores case), or
    None when nothing is certain."""
    ignore_case = ignore_case or _INLINE_ICASE.search(source) is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = sre_parse.parse(source)
    except Exception:  # any parse failure just means: no prefilter
        return None
    return _sequence(list(parsed), ignore_case)


def _sequence(items: list[tuple[Any, Any]], icase: bool) -> Need | None:
    needs: list[Need] = []
    run = bytearray()

    def flush() -> None:
        if len(run) >= 3:
            needs.append(Need("lit", bytes(run)))
        run.clear()

    for op, arg in items:
        char = _literal(op, arg, icase)
        if char is not None:
            run.extend(char)
        elif op is sre_c.AT:
            continue  # anchors take no room: literals on each side stay adjacent
        elif op is sre_c.SUBPATTERN:
            sub = list(arg[3])
            text = _exact(sub, icase)
            if text is not None:
                run.extend(text)
            else:
                flush()
                _add(needs, _sequence(sub, icase))
        elif op in _REPEATS and arg[0] >= 1:
            flush()
            _add(needs, _sequence(list(arg[2]), icase))
        elif op is sre_c.BRANCH:
            flush()
            _add(needs, _branch(arg[1], icase))
        else:
            flush()
    flush()
    if not needs:
        return None
    return needs[0] if len(needs) == 1 else Need("and", parts=tuple(needs))


def _branch(branches: list[Any], icase: bool) -> Need | None:
    parts = [_sequence(list(b), icase) for b in branches]
    if any(p is None for p in parts):
        return None
    return Need("or", parts=tuple(p for p in parts if p is not None))


def _add(needs: list[Need], need: Need | None) -> None:
    if need is not None:
        needs.append(need)


def _literal(op: Any, arg: Any, icase: bool) -> bytes | None:
    if op is sre_c.IN and len(arg) == 1 and arg[0][0] is sre_c.LITERAL:
        op, arg = arg[0]
    if op is not sre_c.LITERAL:
        return None
    char = chr(arg)
    if not char.isascii() and icase:
        return None  # case folding beyond ASCII does not map byte for byte
    raw = char.encode("utf-8")
    return raw.lower() if icase else raw


def _exact(items: list[tuple[Any, Any]], icase: bool) -> bytes | None:
    out = bytearray()
    for op, arg in items:
        char = _literal(op, arg, icase)
        if char is None:
            return None
        out.extend(char)
    return bytes(out)
