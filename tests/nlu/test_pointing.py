"""Words that point at what is on screen, and a command said after a question."""

from __future__ import annotations

from bot.nlu.pointing import in_words_of, last_clause
from bot.nlu.text import normalize

EXPLAIN = frozenset(["what", "does", "do", "explain", "is", "{ref}"])  # keyed: "this" is {ref}


def test_this_in_the_words_of_a_command_and_words_for_code() -> None:
    assert in_words_of(normalize("what does that function do").split(), EXPLAIN)
    assert in_words_of(normalize("what does this code do exactly").split(), EXPLAIN, spare=1)
    assert not in_words_of(normalize("what does the lexer do exactly").split(), EXPLAIN)


def test_a_word_alone_is_not_a_sentence_about_the_screen() -> None:
    assert not in_words_of(["return"], frozenset(["return"]))
    assert in_words_of(normalize("i want to look for some code").split(), frozenset(["look"]))


def test_with_spare_words_one_of_the_commands_own_is_needed() -> None:
    assert not in_words_of(["this", "where"], EXPLAIN, spare=1)


def test_the_last_short_clause_after_a_question() -> None:
    text = "why is it importing Environment as Environment? explain pls"
    assert last_clause(text, longest=3) == "explain pls"
    assert last_clause("where is the lexer? open 3", longest=3) == "open 3"
    assert last_clause("explain pls", longest=3) is None
    assert last_clause("hi, how does jinja2 load templates from a folder", longest=3) is None
