"""Text as the matcher sees it: folded case and accents, emoji read as words, politeness dropped.

Examples and messages go through the same `normalize`, so "Próximo 👉", "proximo" and "PROXIMO"
meet on one key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from bot.nlu.unspaced import spaced

# Emoji people send instead of words; each is read as the word beside it.
EMOJI_WORDS: dict[str, str] = {
    "👋": "hi",
    "🙋": "hi",
    "🖐": "hi",
    "✋": "hi",
    "🙏": "thanks",
    "💐": "thanks",
    "🤝": "thanks",
    "❤": "thanks",
    "💙": "thanks",
    "👍": "ok",
    "👌": "ok",
    "✅": "ok",
    "🆗": "ok",
    "👏": "ok",
    "💯": "ok",
    "🔙": "back",
    "⬅": "back",
    "↩": "back",
    "➡": "more",
    "⏭": "more",
    "⏩": "more",
    "🔽": "more",
    "🏠": "menu",
    "🔄": "start over",
    "🔁": "start over",
    "🆘": "help",
    "❓": "help",
    "❔": "help",
    "🤷": "help",
    "👀": "open",
    "🔍": "search",
    "🔎": "search",
    "👉": "",
    "😀": "",
    "🙂": "",
    "😊": "",
    "😅": "",
    "😄": "",
}
# Words that add politeness, not meaning: "more please" is "more", "por favor" too.
FILLER_WORDS = frozenset(
    {"please", "pls", "plz", "plse", "pleas", "pleaseee", "kindly"}
    | {"bitte", "porfa", "porfavor", "stp", "svp", "perfavore"}
)
FILLER_PHRASES: tuple[tuple[str, ...], ...] = (
    ("por", "favor"),
    ("s", "il", "vous", "plait"),
    ("sil", "vous", "plait"),
    ("per", "favore"),
    ("por", "favour"),
)
_FILLER_STARTS = frozenset(p[0] for p in FILLER_PHRASES)
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
# Marks that belong to letters of other scripts (Devanagari and other Indic vowel signs, Thai,
# kana voicing): Python's \w leaves them out, but they are part of the word.
_MARKS = "\u0900-\u0dff\u0e00-\u0eff\u3099\u309a"
_PUNCT = re.compile(rf"[^\w\s#{_MARKS}-]+|(?<=\w)-|-(?!\d)|_")
_ACCENTS = re.compile("[\u0300-\u036f]")  # combining diacritical marks: Latin, Greek, Cyrillic
_SPACE = re.compile(r"\s+")
_VARIATION = re.compile("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]")  # emoji selectors, skin tones


def fold(text: str) -> str:
    """Lower case without accents: "Próximo" -> "proximo", "Straße" -> "strasse". Only the
    accents of Latin, Greek and Cyrillic letters go; the marks other scripts spell with
    (Devanagari vowel signs, kana voicing: "तीसरा", "コード") are part of their letters."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return unicodedata.normalize("NFC", _ACCENTS.sub("", decomposed))


def emoji_as_words(text: str) -> str:
    text = _VARIATION.sub("", text)
    if not any(ord(c) > 0x2000 for c in text):
        return text
    return "".join(f" {EMOJI_WORDS[c]} " if c in EMOJI_WORDS else c for c in text)


_QUESTION_MARKS = re.compile(r"^\s*[?¿]+\s*$")


def words(text: str) -> list[str]:
    """The words of ``text``: folded, emoji read as words, punctuation gone; keeps `#3`, `-1`.
    An underscore splits words here: code names are recognised before this (see codeish).
    A message of question marks alone ("?") asks for help."""
    if _QUESTION_MARKS.match(text):
        return ["help"]
    text = _APOSTROPHE.sub("", fold(emoji_as_words(spaced(text))))
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).split()


def drop_fillers(tokens: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _FILLER_STARTS:
            phrase = next((p for p in FILLER_PHRASES if tuple(tokens[i : i + len(p)]) == p), None)
            if phrase is not None:
                i += len(phrase)
                continue
        if token not in FILLER_WORDS:
            kept.append(token)
        i += 1
    return kept or tokens


_LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")  # a letter three times or more: "hiii", "thxxx"


def unstretched(token: str, known: Collection[str]) -> str:
    """A word stretched for feeling, as known: "hiii" -> "hi", "goood" -> "good", "thxxx" ->
    "thx" when ``known`` has them; otherwise its runs kept to two letters. No English word has a
    letter three times in a row."""
    if not _LONG_RUN.search(token):
        return token
    double = _LONG_RUN.sub(r"\1\1", token)
    single = _LONG_RUN.sub(r"\1", token)
    return double if double in known or single not in known else single


def normalize(text: str) -> str:
    """The key examples and messages are compared on."""
    return " ".join(drop_fillers(words(text)))
