from __future__ import annotations

import re

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


@pytest.mark.parametrize(
    ("query", "name", "relation"),
    [
        ("who calls get_template", "get_template", "calls"),
        ("callers of Environment.get_template", "Environment.get_template", "calls"),
        ("where is parse_http_date called?", "parse_http_date", "calls"),
        ("where is EscapeFormatter used", "EscapeFormatter", "uses"),
        ("usages of `ClientSession`", "ClientSession", "uses"),
        ("who uses ceil_timeout", "ceil_timeout", "uses"),
        ("tests for select_autoescape", "select_autoescape", "tests"),
        ("where is the Lexer class tested", "Lexer", "tests"),
    ],
)
def test_questions_about_uses_are_reference_queries(query: str, name: str, relation: str) -> None:
    parsed = parse_query(query)
    assert (parsed.kind, parsed.text, parsed.relation) == ("reference", name, relation)


@pytest.mark.parametrize(
    ("query", "name", "symbol_kind"),
    [
        ("whre is teh Environment class", "Environment", "class"),
        ("Enviroment class", "Enviroment", "class"),
        ("where is the safe_load function", "safe_load", "function"),
        ("json_respone function", "json_respone", "function"),
        ("show me LoopContext", "LoopContext", None),
        ("shwo me LoopContext", "LoopContext", None),
        ("where is teh dump funtion", "dump", "function"),  # "dump" is no misspelt "jump"
        ("how do i use ClientSesion", "ClientSesion", None),
        ("how does ClientSession work", "ClientSession", None),
    ],
)
def test_one_name_among_question_words_even_misspelt_is_a_symbol_query(
    query: str, name: str, symbol_kind: str | None
) -> None:
    parsed = parse_query(query)
    assert (parsed.kind, parsed.text, parsed.symbol_kind) == ("symbol", name, symbol_kind)


def test_a_quoted_name_is_looked_up_as_spelled_and_a_quoted_phrase_as_literal_text() -> None:
    for query in ("'ClientResponse'", '"ClientResponse"', "`ClientResponse`"):
        parsed = parse_query(query)
        assert (parsed.kind, parsed.text, parsed.exact) == ("symbol", "ClientResponse", True)
    assert parse_query('"return None"').kind == "regex"


def test_plain_questions_stay_plain() -> None:
    for query in ("load yaml safely", "verify ssl certificate", "how do i render a template"):
        assert parse_query(query).kind == "text", query


def test_qualifiers_are_taken_out_of_the_query() -> None:
    parsed = parse_query("HttpRequestParser -path:*.pyx lang:python kind:class case:yes")
    assert (parsed.kind, parsed.text, parsed.symbol_kind) == (
        "symbol",
        "HttpRequestParser",
        "class",
    )
    flt = parsed.filters
    assert (flt.not_paths, flt.langs, flt.kind, flt.case_sensitive) == (
        ("*.pyx",), ("python",), "class", True,
    )  # fmt: skip
    assert parse_query("ceil_timeout kind:call").kind == "reference"
    assert parse_query("markupsafe kind:import").relation == "imports"
    assert parse_query("/todo/ case:no path:src/**").ignore_case
    assert parse_query("render a template file:*.py").kind == "text"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x lang:cobol", "Unknown language 'cobol' in lang:; known: c, cpp, csharp"),
        ("x kind:banana", "Unknown kind 'banana' in kind:; use one of: def, class, call, import"),
        ("x case:maybe", "case: takes yes or no, not 'maybe'"),
        ("x path:", "'path:' needs a value, e.g. path:aiohttp/*.py"),
        ("path:*.py", "The query has only qualifiers"),
    ],
)
def test_bad_qualifiers_are_explained(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_query(query)
