"""Words for plain-language ranking: identifiers split at camelCase and snake_case, stemmed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container
from functools import lru_cache

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_STOP_TEXT = """
    a an and are as at be been but by can could do does doing did for from had has have how i
    if in into is it its me my no not of on or our should so than that the their them then there
    these they this those to was we were what when where which who why will with would you your
    self cls def return none true false import elif else pass lambda var let const new null void
    int str bool dict list tuple any py js ts md"""
STOPWORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
# Words of a question that say nothing about the code sought ("where is the code that ...").
_FILLER_TEXT = """
    code function functions method methods class classes thing things way something somewhere
    place part logic defined implemented implementation done happen happens please want need"""
QUERY_FILLER: frozenset[str] = frozenset(_FILLER_TEXT.split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix stripper that brings a word and the names made from it together:
    "checked", "checks", "checking" -> "check"; "tokenizer", "tokenize" -> "token";
    "compression", "compressor" -> "compress"."""
    w = word
    if len(w) > 3:
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if w.endswith("ly") and len(w) > 5:
            w = w[:-2]
        elif w.endswith("ing") and len(w) > 5:
            w = w[:-3]
        elif w.endswith("ed") and len(w) > 4:
            w = w[:-2]
        w = _derived(w)
        if w.endswith("e") and len(w) > 3:
            w = w[:-1]
        if w.endswith("y") and len(w) > 3:
            w = w[:-1] + "i"
    return w


def _derived(w: str) -> str:
    """The word a noun of action or agent is made from: "-ization", "-izer", "-ize" (also
    "-iz" left by "-ized"), "-tion"/"-sion" -> "-t"/"-s", "-tor"/"-sor" (not "-er": a
    "runner" is no "run", a "header" no "head")."""
    if w.endswith(("ization", "isation")) and len(w) > 9:
        return w[:-7]
    if w.endswith(("izer", "iser")) and len(w) > 6:
        return w[:-4]
    if w.endswith("ize") and len(w) > 6:
        return w[:-3]
    if w.endswith("iz") and len(w) > 5:
        return w[:-2]
    if w.endswith(("tion", "sion")) and len(w) > 6:
        return w[:-3]
    if w.endswith(("tor", "sor")) and len(w) > 6:
        return w[:-2]
    return w


@lru_cache(maxsize=1 << 16)
def normal(raw: str) -> str:
    """The indexed form of one raw word ("Parsing" -> "pars"); "" for stopwords."""
    low = raw.lower()
    return "" if len(low) < 2 or low in STOPWORDS else stem(low)


def words(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text`, stopwords and single letters left out."""
    return [w for w in map(normal, _WORD.findall(text)) if w]


def query_words(text: str) -> list[str]:
    """The words of a plain-language question that rank code: `words` less the filler."""
    raw = [w for w in _WORD.findall(text) if w.lower() not in QUERY_FILLER]
    return [w for w in map(normal, raw) if w]


def count(text: str, into: Counter[str] | None = None) -> Counter[str]:
    """Add the words of `text` to `into` (a new Counter by default)."""
    counts: Counter[str] = Counter() if into is None else into
    get = counts.get
    for raw, n in Counter(_WORD.findall(text)).items():
        word = normal(raw)
        if word:
            counts[word] = get(word, 0) + n
    return counts


MIN_PART = 3  # letters in each word of a run-together name


def split_compound(term: str, known: Container[str]) -> tuple[str, ...]:
    """The indexed words a run-together name is made of ("xmlattr" -> xml, attr; "striptag" ->
    strip, tag; "filesizeformat" -> file, siz, format), two or three of at least three letters
    each, fewest first; () when it is not so made."""
    for count in (2, 3):
        parts = _split(term, known, count)
        if parts:
            return parts
    return ()


def _split(term: str, known: Container[str], count: int) -> tuple[str, ...]:
    if count == 1:
        word = normal(term)
        return (word,) if len(term) >= MIN_PART and word and word in known else ()
    for cut in range(MIN_PART, len(term) - MIN_PART * (count - 1) + 1):
        head = normal(term[:cut])
        if head and head in known:
            rest = _split(term[cut:], known, count - 1)
            if rest:
                return (head, *rest)
    return ()
