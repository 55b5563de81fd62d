"""One short question when a message could be a command or a search, and its answer.

"load more" typed where any text is searched, when "load" and "more" both occur in the code:
"Did you mean *1.* more results, or *2.* search for “load more”?". The question is kept in the
session (`_clarify`) for one turn: "1", "the first", "2", "search" answer it; anything else is
read as a new message. A command offered after a search is kept the same way: "yes" takes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.nlu.entities import find_numbers
from bot.nlu.match import IntentMatch
from bot.nlu.text import normalize

SLOT = "_clarify"
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "si", "oui", "ja", "sim", "sure", "correct"})
_SEARCH = frozenset({"search", "search it", "search that", "no", "nope", "no search", "the search"})


def pending(slots: Mapping[str, Any], state: str) -> dict[str, Any] | None:
    asked = slots.get(SLOT)
    if isinstance(asked, dict) and asked.get("state") == state:
        return asked
    return None


def question(match: IntentMatch, text: str, state: str) -> dict[str, Any]:
    """What to keep until the answer comes: the text and the command it may have meant."""
    return {
        "state": state,
        "text": text,
        "intent": match.intent,
        "entities": dict(match.entities),
    }


def offer(match: IntentMatch, text: str, state: str) -> dict[str, Any]:
    """What to keep after a search that offered the command ``match`` ("If you meant *help*,
    send *help*."): a yes takes it; among the results a number still opens one."""
    return {**question(match, text, state), "offered": True}


def answer(asked: Mapping[str, Any], reply: str) -> tuple[str, IntentMatch] | None:
    """The original text and how to take it, when ``reply`` answers the question (or accepts
    the command offered); else None."""
    words = normalize(reply)
    if asked.get("offered"):
        if words not in _YES or not asked.get("intent"):
            return None
        entities = dict(asked.get("entities") or {})
        return str(asked.get("text") or ""), IntentMatch(
            str(asked["intent"]), 100.0, entities, how="clarified"
        )
    found = find_numbers(words.split())
    choice: int | None = None
    if found.tokens == ["{n}"] or found.tokens in (["the", "{n}"], ["option", "{n}"]):
        choice = found.numbers[0]
    elif words in _YES:
        choice = 1
    elif words in _SEARCH:
        choice = 2
    text = str(asked.get("text") or "")
    if choice == 1 and asked.get("intent"):
        entities = dict(asked.get("entities") or {})
        return text, IntentMatch(str(asked["intent"]), 100.0, entities, how="clarified")
    if choice == 2:
        return text, IntentMatch(None, 0.0, {}, how="clarified")
    return None
