"""A page of results asked for by its numbers."""

from __future__ import annotations

import pytest

from bot.nlu.results import page_asked


@pytest.mark.parametrize(
    ("text", "page"),
    [
        ("6-10", (6, 10)),
        ("6-10 pls", (6, 10)),
        ("results 11–15", (11, 15)),
        ("6 to 10", (6, 10)),
        ("show me hits 6 to 10", (6, 10)),
        ("give me the results 11-15", (11, 15)),
    ],
)
def test_the_numbers_of_a_page(text: str, page: tuple[int, int]) -> None:
    assert page_asked(text) == page


@pytest.mark.parametrize(
    "text", ["10-6", "6-10 of the lexer", "utf-8", "python 3", "6", "show 3 to 5 lines"]
)
def test_not_a_page(text: str) -> None:
    assert page_asked(text) is None
