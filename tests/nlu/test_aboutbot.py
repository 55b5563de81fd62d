"""Questions about using the bot, told by the bot's own words."""

from __future__ import annotations

import pytest

from bot.nlu.aboutbot import asks_about_the_bot, bot_words

SAID = [
    "Reply with a number: *1.* Search code *2.* Ask a question *3.* Switch repository",
    "Type *more* for more results, or *open 2* to see the lines of a file.",
    "Try “where are templates loaded” or `get_template`; ClientSession is a name too.",
    "{{ entities.number }} is not an option.{% if repo %} Searching {{ repo }}{% endif %}",
    "what does this mean",
    "what is the difference between them",
    "how do i use it",
]


def test_the_bots_words_leave_out_what_it_quotes_and_names_of_code() -> None:
    words = bot_words(SAID)
    assert {"number", "search", "switch", "results", "file", "option", "mean"} <= words
    assert not {"templates", "loaded", "get_template", "clientsession", "entities"} & words
    assert "the" not in words  # words of grammar say nothing


@pytest.mark.parametrize(
    "text",
    [
        "what does option 2 mean?",
        "what is the difference between 1 and 3",
        "how do I see more lines of this file?",
    ],
)
def test_a_question_in_the_bots_words_is_about_the_bot(text: str) -> None:
    assert asks_about_the_bot(text, bot_words(SAID))


@pytest.mark.parametrize(
    "text",
    [
        "where are templates loaded?",  # the bot quotes it as a search; the words are not its own
        "what does the Lexer class mean?",  # names something the bot never says
        "option 2 mean",  # no question
        "mean?",  # too short to tell
    ],
)
def test_other_text_is_not(text: str) -> None:
    assert not asks_about_the_bot(text, bot_words(SAID))
