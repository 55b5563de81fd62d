"""References (call sites from the grammar, not text matches) and qualifiers, end to end."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.errors import QueryError
from bot.search.service import SearchService

UTIL = '''def render(item):
    """Turn an item into text."""
    return str(item)
'''
PAGE = """from shop.util import render  # render is imported here


def page(items):
    # render each item; the word render in a comment is no call
    label = "render"
    hook = render
    return [render(i) for i in items]


def header(title):
    return render(title).upper()
"""
TEST = """from shop.util import render


def test_render_turns_numbers_into_text():
    assert render(1) == "1"
"""
GO = """package shop

func Render(item string) string {
\treturn item
}

func Page(items []string) string {
\treturn Render(items[0])
}
"""


async def shop(make_repo: Callable[..., Settings]) -> SearchService:
    files = {"shop/util.py": UTIL, "shop/page.py": PAGE, "tests/test_util.py": TEST,
             "shop/page.go": GO}  # fmt: skip
    service = SearchService.from_settings(make_repo(files), watch_changes=False)
    await service.index()
    return service


def places(hits: object) -> list[tuple[str, int]]:
    return [(h.path, h.line) for h in hits]  # type: ignore[attr-defined]


async def test_who_calls_lists_call_sites_only(make_repo: Callable[..., Settings]) -> None:
    service = await shop(make_repo)
    for query in ("who calls render", "callers of render", "where is render called",
                  "render kind:call"):  # fmt: skip
        response = await service.search(query)
        assert response.kind == "reference", query
        # Not the import, the comment, the string, the assignment, nor the definition.
        assert places(response.hits) == [
            ("shop/page.py", 8), ("shop/page.py", 12), ("tests/test_util.py", 5),
        ], query  # fmt: skip
        assert all(h.kind == "reference" for h in response.hits)
        assert response.hits[0].symbol == "page"


async def test_where_is_it_used_puts_calls_first_then_other_mentions(
    make_repo: Callable[..., Settings],
) -> None:
    service = await shop(make_repo)
    response = await service.search("where is render used")
    found = places(response.hits)
    assert found[:2] == [("shop/page.py", 8), ("shop/page.py", 12)]
    assert ("shop/page.py", 7) in found  # hook = render: a use, not a call
    assert ("shop/page.py", 1) not in found  # the import
    assert ("shop/util.py", 1) not in found  # the definition


async def test_tests_for_a_name_are_the_test_files_using_it(
    make_repo: Callable[..., Settings],
) -> None:
    service = await shop(make_repo)
    response = await service.search("tests for render")
    assert response.hits and {h.path for h in response.hits} == {"tests/test_util.py"}
    assert ("tests/test_util.py", 5) in places(response.hits)


async def test_a_name_nothing_calls_is_shown_where_it_is_defined_and_said_so(
    make_repo: Callable[..., Settings],
) -> None:
    service = await shop(make_repo)
    response = await service.search("who calls page")  # defined, called nowhere
    assert places(response.hits) == [("shop/page.py", 4), ("shop/page.go", 7)]  # and Go's Page
    assert response.note == "nothing in the code calls page; where it is defined"
    response = await service.search("tests for header")
    assert places(response.hits) == [("shop/page.py", 11)]
    assert response.note == "no test uses header; where it is defined"
    response = await service.search("who calls nonexistent_name")  # defined nowhere either
    assert response.hits == () and response.note == ""


async def test_imports_of_a_name(make_repo: Callable[..., Settings]) -> None:
    service = await shop(make_repo)
    response = await service.search("render kind:import")
    assert places(response.hits) == [("shop/page.py", 1), ("tests/test_util.py", 1)]


async def test_call_sites_in_another_language(make_repo: Callable[..., Settings]) -> None:
    service = await shop(make_repo)
    response = await service.search("who calls Render lang:go")
    assert places(response.hits) == [("shop/page.go", 8)]


async def test_path_and_language_qualifiers_narrow_every_kind_of_query(
    make_repo: Callable[..., Settings],
) -> None:
    service = await shop(make_repo)
    defs = await service.search("render path:shop/*.py")
    assert defs.hits[0].path == "shop/util.py"
    assert all(h.path.startswith("shop/") and h.path.endswith(".py") for h in defs.hits)
    outside = await service.search("render -path:shop/util.py kind:def")
    assert places(outside.hits) == [("shop/page.go", 3)]  # Go's Render, any case
    go_only = await service.search("/return/ lang:go")
    assert {h.path for h in go_only.hits} == {"shop/page.go"}
    words = await service.search("turn an item into text -path:shop/**")
    assert words.hits and all(not h.path.startswith("shop/") for h in words.hits)


async def test_kind_and_case_qualifiers(make_repo: Callable[..., Settings]) -> None:
    service = await shop(make_repo)
    classes = await service.search("render kind:class")
    assert classes.hits == ()
    exact = await service.search("Render kind:def case:yes")
    assert places(exact.hits) == [("shop/page.go", 3)]
    either = await service.search("/RENDER/ case:no path:shop/util.py")
    assert places(either.hits) == [("shop/util.py", 1)]


async def test_a_bad_qualifier_is_a_readable_error(make_repo: Callable[..., Settings]) -> None:
    service = await shop(make_repo)
    with pytest.raises(QueryError, match="Unknown language 'klingon'"):
        await service.search("render lang:klingon")


async def test_who_calls_in_real_code(packages: SearchService) -> None:
    response = await packages.search("who calls split_template_path", repo="jinja2")
    assert response.hits and all(h.path == "loaders.py" for h in response.hits)
    assert all("split_template_path(" in h.text for h in response.hits)
    assert not any(h.text.startswith(("def ", "from ", "import ")) for h in response.hits)


async def test_names_listed_in_imports_and_all_are_not_uses(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "shop/util.py": UTIL,
        "shop/__init__.py": "from shop.util import (\n    render,\n)\n\n"
        '__all__ = [\n    "render",\n]\n',
        "shop/page.py": "from shop import render\n\n\ndef page(x):\n    return render(x)\n",
        "tests/test_page.py": "from shop import render\n\n\ndef test_it():\n    render(1)\n",
    }
    service = SearchService.from_settings(make_repo(files), watch_changes=False)
    await service.index()
    used = await service.search("where is render used")
    assert places(used.hits) == [("shop/page.py", 5), ("tests/test_page.py", 5)]
    imports = await service.search("render kind:import path:shop/__init__.py")
    assert places(imports.hits) == [("shop/__init__.py", 2), ("shop/__init__.py", 6)]
