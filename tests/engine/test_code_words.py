"""Words that occur in the repository's code, where they do not make a command a search."""

from __future__ import annotations

from bot.services import Services
from tests.engine.conftest import Say, joined, say_all


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


async def test_a_question_about_the_result_opened_in_words_for_code_explains_it(
    say: Say, services: Services
) -> None:
    # Every word of it is somewhere in jinja2's code; none but "this"/"that" and words for
    # what is on screen is besides the command's own.
    assert await services.search.occurs("what does that function do", "jinja2")
    await say_all(say, "hi", "jinja2", "Environment", "open 1")
    for text in ("what does that function do", "what is this class for"):
        result = await say(text)
        assert result.intent == "explain", text
        assert result.state == "followup.explained", text
        assert "*Result 1*" in joined(result), text
        await say("open 1")


async def test_a_misspelt_command_in_a_sentence_about_the_code_is_searched_without_asking(
    say: Say, services: Services
) -> None:
    await say_all(say, "hi", "jinja2", "how are templates loaded?")
    result = await say("does it cache the result?")  # "cache": an edit away from help's words
    assert "Did you mean" not in joined(result)
    assert result.intent != "help"
    assert result.state == "qa.answered"


async def test_a_question_about_the_result_opened_then_a_command_is_the_command(
    say: Say, services: Services
) -> None:
    assert services.search.defines("Environment", "jinja2")
    await say_all(say, "hi", "jinja2", "Environment", "open 2")
    result = await say("why is it importing Environment as Environment? explain pls")
    assert result.intent == "explain"
    assert result.state == "followup.explained"
    assert "*Result 2*" in joined(result)
    result = await say("where is the lexer? open 3")
    assert result.intent == "open_result"
    assert result.state == "followup.snippet"


async def test_a_sentence_of_a_commands_words_and_words_for_code_is_the_command(
    say: Say, services: Services
) -> None:
    assert await services.search.occurs("i want to look for some code", "jinja2")
    result = await say_all(say, "hi", "jinja2", "menu", "i want to look for some code")
    assert result.intent == "search"
    assert result.state == "search.ask_query"
    assert "Found" not in joined(result)
    result = await say("return")  # a word, not a sentence: searched, as the code has it
    assert result.intent is None
    assert result.state == "search.results"
