from __future__ import annotations

import pytest

from bot.errors import QueryError
from bot.search.query import parse_query


@pytest.mark.parametrize(
    ("query", "kind", "text", "symbol_kind"),
    [
        (r"/def \w+_token/", "regex", r"def \w+_token", None),
        ("/todo/i", "regex", "todo", None),
        (r"def \w+_token", "regex", r"def \w+_token", None),
        ('"a+b (c)"', "regex", r"a\+b\ \(c\)", None),
        ("where is MessagingResponse defined", "symbol", "MessagingResponse", None),
        ("where is the class Environment defined?", "symbol", "Environment", "class"),
        ("class Environment", "symbol", "Environment", "class"),
        ("find function parse_args", "symbol", "parse_args", "function"),
        ("def get_template", "symbol", "get_template", "function"),
        ("Environment.get_template", "symbol", "Environment.get_template", None),
        ("`ClientSession`", "symbol", "ClientSession", None),
        ("how are webhook signatures checked", "text", "how are webhook signatures checked", None),
        ("where do we retry failed requests", "text", "where do we retry failed requests", None),
    ],
)
def test_the_kind_is_read_from_the_words(
    query: str, kind: str, text: str, symbol_kind: str | None
) -> None:
    parsed = parse_query(query)
    assert (parsed.kind, parsed.text, parsed.symbol_kind) == (kind, text, symbol_kind)


def test_a_given_kind_wins_and_case_flag_is_kept() -> None:
    assert parse_query("where is Foo defined", "text").kind == "text"
    assert parse_query("where is Foo defined", "symbol").text == "Foo"
    assert parse_query("/abc/i", "regex").ignore_case


def test_unknown_kind_and_oversized_queries_are_refused() -> None:
    with pytest.raises(QueryError, match="Unknown search kind 'fuzzy'"):
        parse_query("x", "fuzzy")
    with pytest.raises(QueryError, match="longer than 500"):
        parse_query("x" * 501)
