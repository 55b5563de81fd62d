"""Reading a query: which kind it is and what it asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.errors import QueryError
from bot.search.pattern import escape
from bot.search.phrases import asked_reference, bare_symbol
from bot.search.qualifiers import Filters, split_qualifiers
from bot.search.types import KINDS

MAX_QUERY_CHARS = 500
_IDENT = r"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*"
_SYMBOL_WORDS = r"class|function|func|method|def|struct|interface|type|enum|symbol|fn"
_ASKED_SYMBOL = re.compile(
    rf"""^(?:where\s+is|where's|where\s+are|find|show(?:\s+me)?|locate|go\s+to|jump\s+to|open
         |definition\s+of|define|who\s+defines|look\s+up|lookup)\s+
         (?:the\s+)?(?:(?P<kind>{_SYMBOL_WORDS})\s+)?[`'"]?(?P<name>{_IDENT})[`'"]?(?:\(\))?
         (?:\s+(?P<after>{_SYMBOL_WORDS}))?(?:\s+(?:is\s+)?(?:defined|declared|implemented))?\s*\??$""",
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
    filters: Filters = field(default_factory=Filters)
    exact: bool = False  # a quoted name: spelled exactly so
    relation: str | None = None  # references: "calls" | "uses" | "tests"
    guessed_name: bool = False  # the one word among question words: maybe not a name at all
    phrase: str = ""  # for a guessed name, the words it was found among ("get template")


def parse_query(query: str, kind: str | None = None) -> ParsedQuery:
    """Decide the kind of `query` (unless `kind` is given) and extract its payload and its
    qualifiers (`path:`, `-path:`, `lang:`, `kind:`, `case:`)."""
    text = query.strip()
    if not text:
        raise QueryError("The query is empty; say what to look for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    if kind is not None and kind not in KINDS:
        raise QueryError(f"Unknown search kind '{kind}'; use one of: {', '.join(KINDS)}.")
    rest, filters = split_qualifiers(text) if kind != "regex" else (text, Filters())
    if not rest:
        raise QueryError("The query has only qualifiers; say what to look for beside them.")
    parsed = _parse(rest, kind)
    parsed = _apply_kind(parsed, filters.kind)
    if filters.case_sensitive is not None:
        parsed = replace(parsed, ignore_case=not filters.case_sensitive)
    return replace(parsed, filters=filters)


def _parse(text: str, kind: str | None) -> ParsedQuery:
    if kind == "regex":
        return _regex(text) or ParsedQuery("regex", text, auto=False)
    if kind == "symbol":
        found = _symbol(text) or bare_symbol(text)
        name = found[0] if found else text.strip("`'\" ()?")
        said = found[1] if found else None
        return ParsedQuery("symbol", name, symbol_kind=said, auto=False)
    if kind == "reference":
        asked = asked_reference(text)
        name, relation = asked if asked else (text.strip("`'\" ()?"), "uses")
        return ParsedQuery("reference", name, relation=relation, auto=False)
    if kind in ("text", "semantic"):
        return ParsedQuery(kind, text, auto=False)
    slashed = _SLASHED.match(text)
    if slashed:
        return ParsedQuery("regex", slashed["body"], ignore_case=slashed["flags"] == "i")
    asked = asked_reference(text)
    if asked is not None:
        return ParsedQuery("reference", asked[0], relation=asked[1])
    quoted = _quoted_name(text) or _regex(text)
    if quoted is not None:
        return quoted
    found = _symbol(text)
    if found is not None:
        return ParsedQuery("symbol", found[0], symbol_kind=found[1])
    among = bare_symbol(text)
    if among is not None:
        return ParsedQuery("symbol", among[0], symbol_kind=among[1], guessed_name=True, phrase=text)
    return _guess(text)


def _apply_kind(parsed: ParsedQuery, kind: str | None) -> ParsedQuery:
    """`kind:def|class` asks for definitions, `kind:call` for call sites, `kind:import` for
    the import lines naming it."""
    if kind is None or parsed.kind == "regex":
        return parsed
    name = parsed.text
    if parsed.kind in ("text", "semantic"):
        name = name.strip("`'\" ()?")
        if not _BARE_IDENT.match(name):
            return parsed  # a phrase: the kind cannot narrow a ranking of words
    if kind == "call":
        return replace(parsed, kind="reference", text=name, relation="calls")
    if kind == "import":
        return replace(parsed, kind="reference", text=name, relation="imports")
    said = "class" if kind == "class" else parsed.symbol_kind
    return replace(parsed, kind="symbol", text=name, symbol_kind=said, relation="defs")


_QUOTED_NAME = re.compile(rf"""^(["'`])(?P<name>{_IDENT})\1$""")


def _quoted_name(text: str) -> ParsedQuery | None:
    """`'ClientResponse'`: one quoted identifier is the name as written, definitions first."""
    m = _QUOTED_NAME.match(text)
    if m is None:
        return None
    return ParsedQuery("symbol", m["name"].replace("::", "."), exact=True)


def _regex(text: str) -> ParsedQuery | None:
    slashed = _SLASHED.match(text)
    if slashed:
        return ParsedQuery("regex", slashed["body"], ignore_case=slashed["flags"] == "i")
    quoted = _QUOTED.match(text)
    if quoted:
        return ParsedQuery("regex", escape(quoted["body"]))
    return None


def _symbol(text: str) -> tuple[str, str | None] | None:
    m = _ASKED_SYMBOL.match(text) or _DECLARED.match(text) or _BARE_IDENT.match(text)
    if m is None:
        return None
    groups = m.groupdict()
    said = (groups.get("kind") or groups.get("after") or "").lower() or None
    name = m["name"].replace("::", ".")
    return name, _KIND_ALIASES.get(said or "", said)


def _guess(text: str) -> ParsedQuery:
    if _REGEXY.search(text) and text.count(" ") <= 3:
        return ParsedQuery("regex", text)
    return ParsedQuery("text", text)
