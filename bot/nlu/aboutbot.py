"""Questions about using the bot, told from questions about the code by their words.

"what does option 2 mean?", "how do I see more lines of this file?", "which one should i look
at??": every word of such a question is one the bot uses itself, in what it says (replies,
menus, hints, help) and in the examples of help and of the questions about it it answers.
A question about the code names something the bot never says ("how are cookies stored"). Only
a hint: the classifier must read the question as help too (bot/engine/reading.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.pointing import REFERRING_WORDS
from bot.nlu.questions import is_question
from bot.nlu.text import normalize
from bot.nlu.vocabulary import STOPWORDS

MIN_WORDS = 3  # as few words as a question about the bot is asked in ("what's option 2?")
# What a reply quotes is not the bot's own word: example searches (“where are templates
# loaded”), names in backticks, and the template code around the words.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|`[^`]*`|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
# Names of code a reply mentions: `get_template`, `ClientSession`
_CODE_NAME = re.compile(r"\b\w+_\w+\b|\b[A-Z][a-z0-9]+[A-Z]\w*\b")


def bot_words(texts: Iterable[str]) -> frozenset[str]:
    """The words of ``texts`` (what the bot says, and how people ask it for help), normalised
    as messages are, without what the texts quote and names of code."""
    found: set[str] = set()
    for text in texts:
        plain = _CODE_NAME.sub(" ", _QUOTED.sub(" ", text))
        found.update(normalize(plain).split())
    return frozenset(found - STOPWORDS)


def asks_about_the_bot(text: str, words: frozenset[str]) -> bool:
    """``text`` is a question of a few words or more, and each of its words but those of
    grammar, numbers and "this" is one of the bot's own ``words``."""
    tokens = normalize(text).split()
    if len(tokens) < MIN_WORDS or not is_question(text, tokens):
        return False  # "example?": too short to tell
    content = [
        t for t in tokens if t not in STOPWORDS and not t.isdigit() and t not in REFERRING_WORDS
    ]
    return bool(content) and all(t in words for t in content)
