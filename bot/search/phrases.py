"""Questions people type about a name: "who calls X", "tests for X", "whre is teh X class"."""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

_NAME = r"[`'\"]?(?P<name>[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)(?:\(\))?[`'\"]?"
_TAIL = r"(?:\s+(?:function|method|class|def))?\s*\??$"
_THE = r"(?:(?:the|a)\s+)?(?:(?:function|method|class|def)\s+)?"
_REFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (relation, re.compile(pattern, re.IGNORECASE))
    for relation, pattern in (
        ("calls", rf"^(?:who|what|which\s+\w+)\s+calls?\s+{_THE}{_NAME}{_TAIL}"),
        ("calls", rf"^(?:show\s+(?:me\s+)?|find\s+|list\s+)?(?:the\s+)?"
                  rf"(?:callers|call\s+sites|calls)\s+(?:of|to|for)\s+{_THE}{_NAME}{_TAIL}"),
        ("calls", rf"^(?:where|how)\s+is\s+{_THE}{_NAME}(?:\s+(?:function|method|class))?"
                  rf"\s+(?:called|invoked)(?:\s+from)?\s*\??$"),
        ("uses", rf"^(?:where|how)\s+(?:is|are)\s+{_THE}{_NAME}(?:\s+(?:function|method|class))?"
                 rf"\s+used\s*\??$"),
        ("uses", rf"^(?:who|what)\s+uses\s+{_THE}{_NAME}{_TAIL}"),
        ("uses", rf"^(?:show\s+(?:me\s+)?|find\s+|list\s+)?(?:all\s+)?(?:the\s+)?"
                 rf"(?:usages?|uses|references?|refs)\s+(?:of|to|for)\s+{_THE}{_NAME}{_TAIL}"),
        ("tests", rf"^(?:show\s+(?:me\s+)?|find\s+|list\s+|where\s+are\s+)?(?:the\s+)?"
                  rf"(?:unit\s+)?tests?\s+(?:for|of|covering)\s+{_THE}{_NAME}{_TAIL}"),
        ("tests", rf"^(?:where|how)\s+is\s+{_THE}{_NAME}(?:\s+(?:function|method|class))?"
                  rf"\s+tested\s*\??$"),
        ("tests", rf"^(?:what|which)\s+tests?\s+(?:cover|covers|check|checks|test)\s+"
                  rf"{_THE}{_NAME}{_TAIL}"),
    )
)  # fmt: skip

# Words around a name in a question that are not part of it ("where is the X class").
_FILLER_TEXT = """
    where is are the a an find show me locate go to jump open definition of define defined
    declared implemented who defines look up lookup please can you i do how what which does
    in code for see get tell about whre wheres where's whats what's use using work works
    explain mean means"""
_FILLER = frozenset(_FILLER_TEXT.split())
_KIND_WORDS = {
    "class": "class", "function": "function", "func": "function", "method": "function",
    "def": "function", "struct": "struct", "interface": "interface", "enum": "enum",
}  # fmt: skip
_TOKEN = re.compile(r"[`'\"]?([A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)(?:\(\))?[`'\"]?\??")


def asked_reference(text: str) -> tuple[str, str] | None:
    """(name, "calls" | "uses" | "tests") when `text` asks where a name is used."""
    for relation, pattern in _REFERENCES:
        m = pattern.match(text.strip())
        if m is not None:
            return m["name"].replace("::", "."), relation
    return None


def bare_symbol(text: str) -> tuple[str, str | None] | None:
    """(name, kind) when `text` is one name among question words, some of them misspelt
    ("whre is teh Environment class"); None when more than one word would be left."""
    tokens = text.split()
    if len(tokens) < 2 or len(tokens) > 8:
        return None
    names: list[str] = []
    kind: str | None = None
    fillers = 0
    for token in tokens:
        m = _TOKEN.fullmatch(token)
        if m is None:
            return None
        word = m[1]
        low = word.lower()
        if _looks_like_code(word):
            names.append(word)
        elif low in _KIND_WORDS or _near(low, _KIND_WORDS):
            kind = _KIND_WORDS.get(low) or _KIND_WORDS[_near(low, _KIND_WORDS) or "class"]
        elif low in _FILLER or _near(low, _FILLER):
            fillers += 1
        else:
            names.append(word)
    if len(names) != 1 or not (fillers or kind):
        return None
    return names[0].replace("::", "."), kind


def _looks_like_code(word: str) -> bool:
    """Spelled as code rather than as a word: snake_case, CamelCase, dotted, with digits."""
    return (
        "_" in word
        or "." in word
        or any(c.isdigit() for c in word)
        or any(c.isupper() for c in word[1:])
    )


def _near(word: str, vocabulary: frozenset[str] | dict[str, str]) -> str | None:
    """The vocabulary word one typo (a transposition counts as one) away, for words of five
    letters or more; in shorter ones only two letters swapped ("teh", "shwo"): "dump" is no
    misspelt "jump"."""
    if len(word) < 3:
        return None
    limit = 1
    for candidate in vocabulary:
        if (
            abs(len(candidate) - len(word)) <= limit
            and len(candidate) >= 3
            and OSA.distance(word, candidate, score_cutoff=limit) <= limit
            and (len(word) >= 5 or sorted(word) == sorted(candidate))
        ):
            return candidate
    return None
