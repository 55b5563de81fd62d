"""Searches said as sentences: "search aiohttp for ClientSession", "find Environment in jinja".

The query keeps its own spelling (case matters in code); the repository is named only when the
words name one of the sender's repositories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.nlu import entities as ent
from bot.nlu.text import words

_VERB = (
    r"(?:search(?:\s+for)?|find|look\s+(?:for|up)|grep(?:\s+for)?|busca(?:r)?|cherche(?:r)?|suche)"
)
_IN = r"(?:in|on|inside|within|from|en|dans|im)"
_REPO_WORDS = r"(?:\s+(?:repo|repository|code|codebase|project))?"
# "search aiohttp for X", "search in aiohttp for X"
_REPO_FIRST = re.compile(
    rf"^\s*(?:(?:actually|now|ok|so|and)\s+)?(?:search|grep|look|check)\s+(?:{_IN}\s+)?(?:the\s+)?"
    rf"(?P<repo>[\w.-]+(?:\s+[\w.'’-]+){{0,3}}?){_REPO_WORDS}\s+for\s+(?P<q>.+?)\s*$",
    re.IGNORECASE,
)
# "find X in aiohttp", "search for X in the jinja2 repo", "new search: X in aiohttp" (with a
# verb only)
_NEW = r"(?:(?:a\s+)?(?:new|another)\s+)?"  # "new search: X"
# Words before the verb that change nothing: "hmm maybe search for X", "ok can you find X"
_LEAD = (
    r"(?:(?:hmm+|ok(?:ay)?|so|and|now|then|maybe|actually|please|pls|can\s+you|could\s+you"
    r"|let'?s|i\s+want\s+to|i'?d\s+like\s+to|try\s+to)[,.]?\s+)*"
)
_REPO_LAST = re.compile(
    rf"^\s*{_LEAD}{_NEW}{_VERB}\s*:?\s+(?P<q>.+)\s+{_IN}\s+(?P<repo>(?:the\s+)?[\w.'’-]+(?:\s+[\w.'’-]+){{0,3}})"
    rf"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_PLAIN = re.compile(rf"^\s*{_LEAD}{_NEW}{_VERB}\s*:?\s+(?P<q>.+?)\s*$", re.IGNORECASE)
# "what about Template", "try again with get_template": another name to search, as code
_ANOTHER = re.compile(
    rf"^\s*{_LEAD}(?:try(?:\s+again)?\s+with|(?:what|how)\s+about)\s+"
    r"(?P<q>[A-Za-z_][\w.]*)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_NAMELIKE = re.compile(r"[A-Z_.]|[a-z][A-Z]")
# What "search for ..." is said of when nothing in particular is meant
_VAGUE_TEXT = "some code something stuff things thing else anything it this that a the in"
_VAGUE = frozenset(_VAGUE_TEXT.split())
_LABELLED = re.compile(rf"^\s*{_NEW}{_VERB}\s*:\s*\S", re.IGNORECASE)


def labelled(text: str) -> bool:
    """A search said with a colon before what to search ("new search: Markup"): what follows
    is the query, whatever its words."""
    return _LABELLED.match(text) is not None


def extract_query(
    text: str, repos: Sequence[str], aliases: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """{"query": ..., "repo": ...} for a search said as a sentence; None otherwise.
    "search for X" without a repository gives only the query."""
    for pattern in (_REPO_FIRST, _REPO_LAST):
        m = pattern.match(text)
        if m is None:
            continue
        named = ent.find_repos(words(m.group("repo")), repos, aliases=aliases).values.get("repo")
        query = m.group("q").strip().strip("\"'`“”")
        if named and query:
            return {"query": query, "repo": named}
    m = _PLAIN.match(text)
    if m and m.group("q").strip() and not _says_nothing(m.group("q")):
        return {"query": m.group("q").strip().strip("\"'`“”")}
    m = _ANOTHER.match(text)
    if m and _NAMELIKE.search(m.group("q")):
        return {"query": m.group("q")}
    return None


def _says_nothing(query: str) -> bool:
    """A query of only words that name no code: "look for some code", "find something"."""
    return all(w in _VAGUE for w in words(query))
