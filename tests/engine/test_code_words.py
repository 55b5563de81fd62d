"""Words that occur in the repository's code, where they do not make a command a search."""

from __future__ import annotations

from bot.services import Services
from tests.engine.conftest import Say, joined


async def test_not_in_a_sentence_keeps_the_command_though_jinja2_defines_not(
    say: Say, services: Services
) -> None:
    assert services.search.defines("not", "jinja2")  # the `Not` node of its syntax tree
    await say("hi")
    await say("jinja2")
    result = await say("i have a question, not a search")
    assert result.intent == "ask"
    assert result.state == "qa.ask"
    assert "Found" not in joined(result)


async def test_another_name_with_a_word_more_is_a_choice_among_repositories(
    say: Say, services: Services
) -> None:
    assert await services.search.occurs("async http library", "aiohttp")
    await say("hi")
    await say("jinja2")
    await say("switch repo")
    result = await say("the async http library")  # "http library": aiohttp's other name
    assert result.state == "search.ask_query"
    assert "*aiohttp*" in joined(result)


async def test_a_misspelt_command_in_a_sentence_the_classifier_is_sure_of_is_taken(
    say: Say,
) -> None:
    await say("hi")
    await say("jinja2")  # the search prompt: any text is a search
    result = await say("could you show me how this thing works")
    assert result.intent == "help"
    assert "Did you mean" not in joined(result)
