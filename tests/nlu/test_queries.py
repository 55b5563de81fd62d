"""Searches said as sentences."""

from __future__ import annotations

import pytest

from bot.nlu.queries import extract_query, labelled

REPOS = ["codechat", "jinja2", "aiohttp"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("new search: Markup", {"query": "Markup"}),
        ("search: Markup", {"query": "Markup"}),
        ("another search: ClientSession in aiohttp", {"query": "ClientSession", "repo": "aiohttp"}),
        ("find Environment in jinja", {"query": "Environment", "repo": "jinja2"}),
        ("new search", None),
        ("hmm maybe search for Template", {"query": "Template"}),
        ("ok can you find Environment in aiohttp", {"query": "Environment", "repo": "aiohttp"}),
        ("maybe Env?", None),
        ("i want to look for some code", None),
        ("what about Template", {"query": "Template"}),
        ("try again with get_template", {"query": "get_template"}),
        ("what about 3", None),
        ("what about lexer", None),
    ],
)
def test_a_search_said_as_a_sentence(text: str, found: dict[str, str] | None) -> None:
    assert extract_query(text, REPOS) == found


def test_only_a_colon_labels_what_follows_as_the_query() -> None:
    assert labelled("new search: Markup")
    assert not labelled("search for something else")
    assert not labelled("new search")
