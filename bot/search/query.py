"""Reading a query: which kind it is and what it asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import QueryError
from bot.search.pattern import escape
from bot.search.types import KINDS

MAX_QUERY_CHARS = 500
_IDENT = r"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*"
_SYMBOL_WORDS = r"class|function|func|method|def|struct|interface|type|enum|symbol|fn"
_ASKED_SYMBOL = re.compile(
    rf"""^(?:where\s+is|where's|where\s+are|find|show(?:\s+me)?|locate|go\s+to|jump\s+to|open
         |definition\s+of|define|who\s+defines|look\s+up|lookup)\s+
         (?:the\s+)?(?:(?P<kind>{_SYMBOL_WORDS})\s+)?[`'"]?(?P<name>{_IDENT})[`'"]?(?:\(\))?
         (?:\s+(?:{_SYMBOL_WORDS}))?(?:\s+(?:is\s+)?(?:defined|declared|implemented))?\s*\??$""",
    re.IGNORECASE | re.VERBOSE,
)
_DECLARED = re.compile(
    rf"^(?P<kind>{_SYMBOL_WORDS})\s+[`'\"]?(?P<name>{_IDENT})[`'\"]?(?:\(\))?\s*\??$", re.I
)
_BARE_IDENT = re.compile(rf"^`?(?P<name>{_IDENT})`?(?:\(\))?$")
_SLASHED = re.compile(r"^/(?P<body>.+)/(?P<flags>i?)$", re.DOTALL)
_QUOTED = re.compile(r"""^(["'])(?P<body>.+)\1$""", re.DOTALL)
_REGEXY = re.compile(r"\\[wdsbWDSB.()\[\]{}|*+?^$]|\.\*|\.\+|\[[^\]]+\]|\(\?|[^\s]\|[^\s]|^\^|\$$")
_KIND_ALIASES = {"func": "function", "def": "function", "fn": "function", "method": "function"}


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    kind: str  # one of KINDS
    text: str  # regex source, symbol name, or the words
    ignore_case: bool = False
    symbol_kind: str | None = None  # "class" | "function" | ... when the user said so
    auto: bool = True  # the kind was guessed from the text


def parse_query(query: str, kind: str | None = None) -> ParsedQuery:
    """Decide the kind of `query` (unless `kind` is given) and extract its payload."""
    text = query.strip()
    if not text:
        raise QueryError("The query is empty; say what to look for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    if kind is not None and kind not in KINDS:
        raise QueryError(f"Unknown search kind '{kind}'; use one of: {', '.join(KINDS)}.")
    if kind == "regex":
        return _regex(text) or ParsedQuery("regex", text, auto=False)
    if kind == "symbol":
        found = _symbol(text)
        name = found.text if found else text.strip("`'\" ()?")
        said = found.symbol_kind if found else None
        return ParsedQuery("symbol", name, symbol_kind=said, auto=False)
    if kind in ("text", "semantic"):
        return ParsedQuery(kind, text, auto=False)
    return _regex(text) or _symbol(text) or _guess(text)


def _regex(text: str) -> ParsedQuery | None:
    slashed = _SLASHED.match(text)
    if slashed:
        return ParsedQuery("regex", slashed["body"], ignore_case=slashed["flags"] == "i")
    quoted = _QUOTED.match(text)
    if quoted:
        return ParsedQuery("regex", escape(quoted["body"]))
    return None


def _symbol(text: str) -> ParsedQuery | None:
    m = _ASKED_SYMBOL.match(text) or _DECLARED.match(text) or _BARE_IDENT.match(text)
    if m is None:
        return None
    said = (m.groupdict().get("kind") or "").lower() or None
    name = m["name"].replace("::", ".")
    return ParsedQuery("symbol", name, symbol_kind=_KIND_ALIASES.get(said or "", said))


def _guess(text: str) -> ParsedQuery:
    if _REGEXY.search(text) and text.count(" ") <= 3:
        return ParsedQuery("regex", text)
    return ParsedQuery("text", text)
