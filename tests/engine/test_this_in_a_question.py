"""'who calls this', 'where is it used?' with a result open: asked of that result's definition."""

from __future__ import annotations

from bot.actions.search import about_the_one_open
from tests.engine.conftest import Say, joined, say_all

RESULTS = [
    {"n": 1, "symbol": "Environment.get_template"},
    {"n": 2, "symbol": None},
    {"n": 3, "symbol": "Bucket.__init__"},
]


def test_this_in_a_question_about_use_is_the_definition_open() -> None:
    slots = {"opened": 1, "results": RESULTS}
    assert about_the_one_open("who calls this", slots) == "who calls Environment.get_template"
    assert about_the_one_open("where is it used?", slots) == (
        "where is Environment.get_template used?"
    )
    assert about_the_one_open("tests for this function", slots) == (
        "tests for Environment.get_template"
    )


def test_a_constructor_open_is_asked_of_its_class() -> None:
    slots = {"opened": 3, "results": RESULTS}
    assert about_the_one_open("what calls this", slots) == "what calls Bucket"


def test_other_text_and_results_without_a_definition_stay_as_typed() -> None:
    assert about_the_one_open(
        "is this where templates get loaded", {"opened": 1, "results": RESULTS}
    ) == ("is this where templates get loaded")
    assert (
        about_the_one_open("who calls this", {"opened": 2, "results": RESULTS}) == "who calls this"
    )
    assert about_the_one_open("who calls this", {"results": RESULTS}) == "who calls this"
    assert (
        about_the_one_open("who calls this", {"opened": 9, "results": RESULTS}) == "who calls this"
    )


async def test_who_calls_this_lists_the_call_sites_of_the_result_open(say: Say) -> None:
    result = await say_all(say, "hi", "jinja2", "get_template", "open 1", "who calls this")
    reply = joined(result)
    assert result.state == "search.results"
    assert "who calls Environment.get_template" in reply
    assert "get_or_select_template" in reply  # `return self.get_template(...)`


async def test_where_is_it_used_after_an_explanation_is_asked_of_that_definition(
    say: Say,
) -> None:
    result = await say_all(say, "hi", "jinja2", "get_template", "explain 1", "where is it used?")
    assert result.state == "qa.answered"
    assert "where is Environment.get_template used?" in joined(result)
