"""Words that point at what is on screen rather than name code: "what does that function do",
"why is this import here", "i want to look for some code"."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from bot.nlu.entities import REFERENCES
from bot.nlu.vocabulary import STOPWORDS

# "this", "that": the result on screen (the words of the `ref` entity, and their plurals)
REFERRING_WORDS = frozenset(w for w in REFERENCES if " " not in w) | {"these", "those"}
# Words for what is on screen that name nothing in the code
_ABOUT_CODE_TEXT = (
    "function method class file import line lines code module bit thing stuff snippet part"
)
WORDS_ABOUT_CODE = frozenset(_ABOUT_CODE_TEXT.split())
# As many words as make a sentence: "i want to look for some code" is one, "return" is not
SENTENCE_WORDS = 4
# Where a message's clauses end: after a question, or a comma, full stop or exclamation
_CLAUSES = re.compile(r"[?？]+\s*|[,;.!]+\s+")


def refers(tokens: Collection[str]) -> bool:
    """The message (normalised ``tokens``) says "this", "that" or "it"."""
    return not REFERRING_WORDS.isdisjoint(tokens)


def in_words_of(tokens: Sequence[str], known: Collection[str], *, spare: int = 0) -> bool:
    """The message points at what is on screen or is a sentence, and its words are all ``known``
    (a command's own), filler, "this" or words for what is shown, but for up to ``spare``
    of them ("what does this code do exactly"); with ``spare``, one of the command's own words
    besides filler must be there."""
    if not refers(tokens) and len(tokens) < SENTENCE_WORDS:
        return False  # "return", "start": a word of the code as much as a command
    if spare and not any(w in known and w not in STOPWORDS for w in tokens):
        return False  # none of the command's own words: "これはどこから呼ばれる"
    other = [
        w
        for w in tokens
        if w not in known
        and w not in STOPWORDS
        and w not in REFERRING_WORDS
        and w not in WORDS_ABOUT_CODE
    ]
    return len(other) <= spare


def last_clause(text: str, *, longest: int) -> str | None:
    """The last of two or more clauses of ``text``, when it has at most ``longest`` words
    ("why is it importing Environment? explain pls": "explain pls")."""
    clauses = [c for c in _CLAUSES.split(text) if c.strip()]
    if len(clauses) < 2 or len(clauses[-1].split()) > longest:
        return None
    return clauses[-1]
