"""The answer to a clarifying question, and to a command offered after a search."""

from __future__ import annotations

import pytest

from bot.engine import clarify
from bot.nlu.match import IntentMatch

HELP = IntentMatch("help", 40.0, {})
MORE = IntentMatch("more", 60.0, {})


@pytest.mark.parametrize(("reply", "intent"), [("1", "more"), ("yes", "more"), ("2", None)])
def test_a_question_is_answered_by_its_number_or_yes(reply: str, intent: str | None) -> None:
    asked = clarify.question(MORE, "load more", "search.ask_query")
    found = clarify.answer(asked, reply)
    assert found is not None
    text, match = found
    assert text == "load more" and match.intent == intent and match.how == "clarified"


def test_an_offered_command_is_taken_by_yes() -> None:
    offered = clarify.offer(HELP, "kindly guide me how to search", "search.results")
    found = clarify.answer(offered, "yeah")
    assert found is not None
    assert found[0] == "kindly guide me how to search" and found[1].intent == "help"


@pytest.mark.parametrize("reply", ["1", "2", "no", "search", "open 3"])
def test_among_results_anything_but_yes_is_a_new_message(reply: str) -> None:
    offered = clarify.offer(HELP, "kindly guide me how to search", "search.results")
    assert clarify.answer(offered, reply) is None  # "1" opens result 1; "no" is read as said


def test_an_offer_is_pending_only_in_the_state_it_was_made_in() -> None:
    slots = {clarify.SLOT: clarify.offer(HELP, "x", "search.results")}
    assert clarify.pending(slots, "search.results") is not None
    assert clarify.pending(slots, "followup.snippet") is None
