"""Entities as people write them, and text that reads as code."""

from __future__ import annotations

import pytest

from bot.nlu.codeish import looks_like_code
from bot.nlu.entities import (
    BEFORE_LAST,
    LAST,
    MIDDLE,
    NEXT,
    PREVIOUS,
    along_the_list,
    described_repo,
    find_numbers,
    find_repos,
    from_the_end,
)
from bot.nlu.intents import IntentMatcher
from bot.nlu.text import normalize

REPOS = ["codechat", "jinja2", "aiohttp"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3", 3), ("three", 3), ("third", 3), ("3rd", 3), ("#3", 3), ("no. 3", 3),
        ("number 3", 3), ("the third one", 3), ("le deuxième", 2), ("el tercero", 3),
        ("die dritte", 3), ("open 12", 12), ("pokaż trzeci", 3), ("ikinciyi açıkla", 2),
        ("5'i aç", 5), ("1'in kodunu göster", 1), ("покажи код второго", 2),
    ],
)  # fmt: skip
def test_numbers_however_written(text: str, number: int) -> None:
    assert find_numbers(normalize(text).split()).values["number"] == number


def test_one_after_a_word_is_a_noun_not_the_number_one() -> None:
    assert "number" not in find_numbers(normalize("the http one").split()).values
    assert find_numbers(normalize("open one").split()).values["number"] == 1


@pytest.mark.parametrize(
    ("text", "repo"),
    [("use aiohttp", "aiohttp"), ("switch to jinja", "jinja2"), ("jnja2 pls", "jinja2")],
)
def test_repositories_anywhere_also_misspelt(text: str, repo: str) -> None:
    assert find_repos(normalize(text).split(), REPOS).values["repo"] == repo


def test_short_common_words_are_not_repositories() -> None:
    assert "repo" not in find_repos(normalize("search the code").split(), REPOS).values


@pytest.mark.parametrize(
    "text",
    ["next_token", "ClientSession", "Environment.from_string", "get_template()", "/def \\w+/",
     "`more`", "'help'", "HTTPServer", "def more"],
)  # fmt: skip
def test_code_shapes_are_queries(text: str) -> None:
    assert looks_like_code(text)


@pytest.mark.parametrize("text", ["load more", "open 3", "no. 3", "the third one", "thanks!"])
def test_commands_do_not_read_as_code(text: str) -> None:
    assert not looks_like_code(text)


def test_words_of_one_intent_are_understood_without_an_example_each() -> None:
    matcher = IntentMatcher(
        {"more": ["more", "next page", "load more results"], "help": ["help", "what can you do"]},
        threshold=78,
        margin=4,
    )
    found = matcher.match("next results please")
    assert (found.intent, found.how) == ("more", "words")
    assert matcher.match("results").intent is None  # one word: only as an example
    assert matcher.match("mroe").intent == "more"  # one typo
    assert matcher.match("next_page").intent is None  # code


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Explícame el TERCERO", "explicame el tercero"),
        ("तीसरा वाला", "तीसरा वाला"),  # Devanagari vowel signs are part of the letters
        ("コード", "コード"),  # so is kana voicing
    ],
)
def test_accents_fold_only_where_they_are_accents(text: str, folded: str) -> None:
    assert normalize(text) == folded


def test_numbers_in_devanagari() -> None:
    assert find_numbers(normalize("तीसरा वाला").split()).numbers == [3]


DESCRIPTIONS = {
    "codechat": "this service's own code",
    "jinja2": "the Jinja template engine",
    "aiohttp": "the asyncio HTTP client and server",
}
COMMAND_WORDS = frozenset({"switch", "to", "the", "one", "code", "please", "can", "we", "move"})


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("switch to the asyncio one please", "aiohttp"),  # a word only its description has
        ("can we move to aio", "aiohttp"),  # its name begun
        ("switch to aio http", "aiohttp"),  # its name in pieces
        ("switch over to code chat", "codechat"),
        ("the template engine one", "jinja2"),
    ],
)
def test_a_repository_is_told_by_its_description_or_its_name_in_pieces(
    text: str, repo: str
) -> None:
    tokens = normalize(text).split()
    assert described_repo(tokens, DESCRIPTIONS, common=COMMAND_WORDS) == repo


@pytest.mark.parametrize(
    "text",
    [
        "switch to the code",  # "code" is a word of the commands, no abbreviation of codechat
        "switch to the other one",  # describes none
        "the one with the client and the template",  # describes two
    ],
)
def test_no_repository_when_the_words_describe_none_or_several(text: str) -> None:
    tokens = normalize(text).split()
    assert described_repo(tokens, DESCRIPTIONS, common=COMMAND_WORDS) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # an age or a line is no result
        ("explain like I'm 5", None),
        ("explain like i am 5", None),
        ("like a 5 year old please", None),
        ("explain like im 5: number 3", 3),
        ("open 5 like now", 5),
        ("whats line 9 doing", None),
        ("explain line 12 of 3", 3),
        # later ordinals, Korean ordinals, "the last one" in other languages
        ("me explica o sexto", 6),
        ("apri il settimo", 7),
        ("le huitieme", 8),
        ("die zehnte", 10),
        ("세 번째 보여줘", 3),
        ("네 번째 설명해줘", 4),
        ("3번 열어줘", 3),
        ("한 번 더", None),  # "once more"
        ("abre el último", LAST),
        ("wyjaśnij ostatni", LAST),
        ("最後のを開いて", LAST),
        ("last", None),
        # the one before the last
        ("show me the one before the last", BEFORE_LAST),
        ("explain the second to last one", BEFORE_LAST),
        ("2nd last pls", BEFORE_LAST),
        ("last but one", BEFORE_LAST),
        ("abre el penúltimo", BEFORE_LAST),
        ("zeig den vorletzten", BEFORE_LAST),
        ("l'avant-dernier", BEFORE_LAST),
        ("the second one", 2),
        # the middle one
        ("the middle one", MIDDLE),
        ("open the one in the middle", MIDDLE),
        ("el del medio", MIDDLE),
        ("der mittlere", MIDDLE),
        ("where is the middle layer built", None),  # a word of a search
        ("middle", None),
        # the next or previous one, after a command about a result
        ("explain the next one", NEXT),
        ("now show me the next one", NEXT),
        ("open the previous result", PREVIOUS),
        ("next one", None),  # alone: the flows' next_result, done as the last one was
        ("and the next one", None),
        ("next page", None),
    ],
)
def test_which_numbers_are_results(text: str, number: int | str | None) -> None:
    assert find_numbers(normalize(text).split()).values.get("number") == number


def test_the_middle_one_is_counted_back_from_the_end_of_an_odd_list() -> None:
    assert from_the_end(MIDDLE, 3) == 2
    assert from_the_end(MIDDLE, 5) == 3
    assert from_the_end(MIDDLE, 4) == 0  # no one middle
    assert from_the_end(MIDDLE, 1) == 0
    assert from_the_end(LAST, 4) == 1


def test_the_next_and_previous_one_count_from_the_result_opened() -> None:
    assert along_the_list(NEXT, 2) == 3
    assert along_the_list(PREVIOUS, 3) == 2
    assert along_the_list(PREVIOUS, 1) == 1  # the first stays the first
    assert along_the_list(NEXT, None) == 1  # nothing opened yet: the first
    assert along_the_list(4, 2) is None
