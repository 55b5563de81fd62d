"""Other names: repository aliases, results named by symbol or file, and commands in scripts
written without spaces."""

from __future__ import annotations

import pytest

from bot.nlu.entities import find_numbers, find_repos
from bot.nlu.queries import extract_query
from bot.nlu.results import named_as_one, on_screen, result_named, with_result_number
from bot.nlu.text import normalize

REPOS = ["codechat", "jinja2", "aiohttp"]
ALIASES = {"the bot": "codechat", "bots own code": "codechat", "http library": "aiohttp"}


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("switch to the bot's own code", "codechat"),
        ("can we do the http library instead", "aiohttp"),
        ("the http libary", "aiohttp"),  # a long alias misspelt
        ("use jinja", "jinja2"),
    ],
)
def test_an_alias_names_its_repository(text: str, repo: str) -> None:
    assert find_repos(normalize(text).split(), REPOS, aliases=ALIASES).values["repo"] == repo


def test_an_alias_of_a_repository_the_sender_may_not_read_names_nothing() -> None:
    found = find_repos(normalize("the bot").split(), ["jinja2"], aliases=ALIASES)
    assert "repo" not in found.values


def test_an_alias_around_a_search_scopes_it() -> None:
    assert extract_query("find ClientSession in the http library", REPOS, ALIASES) == {
        "query": "ClientSession",
        "repo": "aiohttp",
    }
    assert extract_query("search for foo in the bot's own code", REPOS, ALIASES) == {
        "query": "foo",
        "repo": "codechat",
    }


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("解释一下第四个", "explain 4"),  # zh: explain the fourth
        ("打开第4个", "open 4"),
        ("看看第二个", "show 2"),
        ("2番を説明して", "2 explain"),  # ja: explain number 2
        ("切换仓库", "switch repo"),
        ("谢谢", "thanks"),
        ("ありがとう", "thanks"),
        ("第十二个", "12"),
    ],
)
def test_commands_written_without_spaces_read_as_words(text: str, key: str) -> None:
    assert normalize(text) == key


def test_text_without_spaces_that_is_no_command_keeps_its_characters() -> None:
    assert normalize("開発の方法") == "開発の方法"


@pytest.mark.parametrize(("text", "number"), [("покажи третий", 3), ("объясни пятый", 5)])
def test_russian_ordinals_are_numbers(text: str, number: int) -> None:
    assert find_numbers(normalize(text).split()).values["number"] == number


SHOWN = [
    {"path": "environment.py", "line": 144, "symbol": "Environment"},
    {"path": "__init__.py", "line": 9, "symbol": ""},
    {"path": "bccache.py", "line": 25, "symbol": ""},
    {"path": "bccache.py", "line": 55, "symbol": "Bucket.__init__"},
    {"path": "bccache.py", "line": 169, "symbol": "BytecodeCache.get_bucket"},
]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("explain the get_bucket one", "explain the #5 one"),
        ("the environment.py one, show me", "the #1 one show me"),
        ("show the Bucket.__init__ one", "show the #4 one"),
        ("and the Bucket init one, what's that for?", "and the #4 one whats that for"),
        ("show bccache.py:55", "show #4"),  # the file holds three results, the line one
        ("open the Environment class one", "open the #1 one"),
        ("what does the class Environment one do", "what does the #1 one do"),
        ("what's __init__.py:9 about", "whats #2 about"),
    ],
)
def test_a_result_named_by_its_symbol_or_file_is_its_number(text: str, read: str) -> None:
    assert with_result_number(text, enumerate(SHOWN, 1)) == read


@pytest.mark.parametrize(
    "text",
    [
        "BytecodeCache.get_bucket",  # the name alone is a search
        "the environment.py one",
        "explain bccache.py",  # three results are in that file
        "explain get_template",  # no result shown has that name
        "BaseLoader.get_source",
    ],
)
def test_no_single_result_named_leaves_the_text_alone(text: str) -> None:
    shown = [*SHOWN, {"path": "loaders.py", "line": 42, "symbol": "BaseLoader"}]
    assert with_result_number(text, enumerate(shown, 1)) is None


def test_the_results_on_screen_keep_the_numbers_they_were_shown_with() -> None:
    results = [{"path": f"f{i}.py", "line": i} for i in range(1, 13)]
    slots = {"results": results, "shown": results[5:10]}
    assert [n for n, _hit in on_screen(slots)] == [6, 7, 8, 9, 10]
    assert [n for n, _hit in on_screen({"results": results}, cited=3)] == [1, 2, 3]
    answered = {"results": results, "shown": results[:5], "cited": 6}
    assert [n for n, _hit in on_screen(answered)] == [1, 2, 3, 4, 5, 6]


def test_a_method_is_named_by_its_class_when_no_result_is_named_itself() -> None:
    shown = [
        {"path": "environment.py", "line": 957, "symbol": "Environment._load_template"},
        {"path": "loaders.py", "line": 596, "symbol": "ChoiceLoader.load"},
        {"path": "loaders.py", "line": 42, "symbol": "BaseLoader"},
        {"path": "loaders.py", "line": 77, "symbol": "BaseLoader.get_source"},
    ]
    assert with_result_number("open the ChoiceLoader one", enumerate(shown, 1)) == "open the #2 one"
    # The class itself is on screen: its name is the class, not one of its methods.
    assert with_result_number("explain the BaseLoader one", enumerate(shown, 1)) == (
        "explain the #3 one"
    )


@pytest.mark.parametrize(
    ("text", "as_one"),
    [
        ("why is the get_bucket one cited", True),
        ("the get_bucket one's code", True),
        ("what does the Environment class one represent", True),
        ("where is get_bucket used", False),  # a name to look up
        ("where is the environment configured", False),
    ],
)
def test_a_result_said_as_the_one_is_a_reference_not_a_name_to_look_up(
    text: str, as_one: bool
) -> None:
    named = result_named(text, enumerate(SHOWN, 1))
    assert named is not None
    assert named_as_one(*named) is as_one


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("open the second bccache.py one", "open the #4 one"),  # of the three in that file
        ("explain the first bccache.py one", "explain the #3 one"),
        ("the 3rd bccache one, explain it", "the #5 one explain it"),
        ("show the last bccache.py one", "show the #5 one"),
        ("open the first environment.py one", "open the #1 one"),  # the only one: first and last
        ("explain the get_bucket one in bccache.py", "explain the one in #5"),
        ("can I see the Bucket constructor?", "can i see the #4"),
        ("show line 25 of bccache", "show #3"),
        ("explain bccache.py line 55", "explain #4"),
    ],
)
def test_a_result_is_named_by_its_place_among_namesakes_its_line_or_its_constructor(
    text: str, read: str
) -> None:
    assert with_result_number(text, enumerate(SHOWN, 1)) == read


@pytest.mark.parametrize(
    "text",
    [
        "open the fourth bccache.py one",  # only three there
        "open the second environment.py one",  # only one there
        "the second bccache.py one",  # no command said
        "show line 26 of bccache",  # no result at that line
        "explain the Environment one in bccache.py",  # no result is both
    ],
)
def test_a_place_line_or_pair_of_names_no_result_has_names_none(text: str) -> None:
    assert with_result_number(text, enumerate(SHOWN, 1)) is None


KINDS_SHOWN = [
    {"path": "environment.py", "line": 144, "symbol": "Environment", "text": "class Environment:"},
    {"path": "__init__.py", "line": 9, "text": "from .environment import Environment"},
    {"path": "bccache.py", "line": 25, "text": "from .environment import Environment"},
    {"path": "bccache.py", "line": 55, "symbol": "Bucket.__init__", "text": "def __init__(self):"},
    {"path": "bccache.py", "line": 169, "text": 'environment: "Environment",'},
]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("open the class definition one", "open the #1"),
        ("explain the class one", "explain the #1"),
        ("show me the def one", "show me the #4"),
        ("explain the method one", "explain the #4"),
        ("where is the class definition", None),  # no "one": words of a search
        ("open the import one", None),  # two imports on screen
    ],
)
def test_a_result_is_named_by_what_its_line_is(text: str, read: str | None) -> None:
    assert with_result_number(text, enumerate(KINDS_SHOWN, 1)) == read
