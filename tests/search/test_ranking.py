"""Which result comes first: definitions before stubs, re-exports and mentions; typos; questions."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.search.service import SearchService

LOADER = '''"""Loading documents."""
from .reader import Reader

__all__ = ["safe_load", "Reader"]


def safe_load(stream):
    """Parse a document from an untrusted stream: only plain values, no objects are built."""
    return Reader(stream).plain()


def unsafe_load(stream):
    """Build any object the document names."""
    return Reader(stream).anything()
'''
STUB = "def safe_load(stream: str) -> object: ...\ndef unsafe_load(stream: str) -> object: ...\n"
READER = '''class Reader:
    """Reads a stream."""

    def plain(self):
        return self.stream  # safe_load calls this; load yaml safely here? no, below
'''
COMMENTS = "# How to load yaml safely: call safe_load, never unsafe_load.\n# load yaml safely\n"


async def service_over(make_repo: Callable[..., Settings], files: dict[str, str]) -> SearchService:
    service = SearchService.from_settings(make_repo(files), watch_changes=False)
    await service.index()
    return service


async def test_the_source_definition_comes_before_its_type_stub(
    make_repo: Callable[..., Settings],
) -> None:
    files = {"docs/__init__.py": LOADER, "docs-stubs/__init__.pyi": STUB, "docs/reader.py": READER}
    service = await service_over(make_repo, files)
    for query in ("where is the safe_load function", "safe_load", "'safe_load'"):
        response = await service.search(query)
        first, second = response.hits[:2]
        assert (first.path, first.line, first.kind) == ("docs/__init__.py", 7, "definition"), query
        assert (second.path, second.kind) == ("docs-stubs/__init__.pyi", "definition"), query


async def test_a_quoted_name_finds_its_definition_not_its_re_export(
    packages: SearchService,
) -> None:
    cases = [("'ClientResponse'", "client_reqrep.py"), ('"StrictUndefined"', "runtime.py"),
             ("`select_autoescape`", "utils.py")]  # fmt: skip
    for query, path in cases:
        response = await packages.search(query)
        assert response.hits[0].kind == "definition", query
        assert response.hits[0].path == path, query
        assert response.hits[0].text.startswith(("class ", "def ")), query


async def test_a_misspelt_name_finds_the_name_meant(packages: SearchService) -> None:
    cases = [
        ("whre is teh Environment class", "jinja2", "environment.py", "class Environment"),
        ("Enviroment", "jinja2", "environment.py", "class Environment"),
        ("ClientSesion", "aiohttp", "client.py", "class ClientSession"),
        ("get_tempalte", "jinja2", "environment.py", "def get_template"),
    ]
    for query, repo, path, text in cases:
        response = await packages.search(query, repo=repo)
        first = response.hits[0]
        assert (first.path, first.kind) == (path, "definition"), query
        assert first.text.startswith(text), query


async def test_a_name_that_is_used_but_not_defined_is_not_taken_for_a_typo(
    packages: SearchService,
) -> None:
    # jinja2 imports markupsafe and defines MarkSafe*: the imports are what was asked for.
    response = await packages.search("markupsafe", repo="jinja2")
    assert response.hits and all("markupsafe" in h.text.lower() for h in response.hits)


async def test_a_question_in_plain_words_puts_the_function_before_comments_and_stubs(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "docs/__init__.py": LOADER,
        "docs-stubs/__init__.pyi": STUB,
        "docs/reader.py": READER,
        "docs/notes.py": COMMENTS,
    }
    service = await service_over(make_repo, files)
    for query in ("how do i load yaml safely from an untrusted stream",
                  "where is the code that parses untrusted documents"):  # fmt: skip
        response = await service.search(query)
        assert response.kind == "text"
        first = response.hits[0]
        assert (first.path, first.line, first.symbol) == ("docs/__init__.py", 7, "safe_load")


async def test_a_misspelt_word_in_a_question_is_read_as_the_indexed_one(
    make_repo: Callable[..., Settings],
) -> None:
    service = await service_over(make_repo, {"docs/__init__.py": LOADER})
    response = await service.search("parse documnet from an untrusted stram")
    assert response.hits[0].symbol == "safe_load"


async def test_tests_rank_after_the_code_unless_the_question_is_about_tests(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "shop/cart.py": "def checkout(cart):\n    '''Charge the cart.'''\n"
        "    return charge(cart)\n",
        "tests/test_cart.py": "def test_checkout():\n    '''Checkout charges the cart.'''\n"
        "    assert checkout(cart)\n",
    }
    service = await service_over(make_repo, files)
    plain = await service.search("charge the cart at checkout")
    assert plain.hits[0].path == "shop/cart.py"
    about_tests = await service.search("tests that charge the cart at checkout")
    assert about_tests.hits[0].path == "tests/test_cart.py"


async def test_a_constant_is_found_where_it_is_assigned_after_namesake_functions(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "app/settings.py": "# the limit used everywhere\nMAX_ITEMS = 50\n",
        "app/cart.py": "from app.settings import MAX_ITEMS\n\n\ndef add(items):\n"
        "    return items[:MAX_ITEMS]\n",
        "app/limits.py": "def max_items():\n    return 50\n",
    }
    service = await service_over(make_repo, files)
    constant = await service.search("where is MAX_ITEMS defined")
    assert [(h.path, h.line, h.kind) for h in constant.hits[:2]] == [
        ("app/settings.py", 2, "definition"), ("app/limits.py", 1, "definition"),
    ]  # fmt: skip
    function = await service.search("max_items")
    assert function.hits[0].path == "app/limits.py"


async def test_a_typo_found_in_one_comment_is_still_read_as_the_name_meant(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "app/env.py": "class Environment:\n    pass\n",
        "app/notes.py": "# the Enviroment is built once\nx = 1\n",
    }
    service = await service_over(make_repo, files)
    response = await service.search("Enviroment")
    assert (response.hits[0].path, response.hits[0].symbol) == ("app/env.py", "Environment")


async def test_a_misspelt_class_or_method_in_a_qualified_name(packages: SearchService) -> None:
    for query in ("Enviroment.get_template", "Environment.get_tempalte"):
        response = await packages.search(query, repo="jinja2")
        assert response.hits[0].symbol == "Environment.get_template", query


async def test_a_name_typed_as_separate_words_finds_its_definition(
    packages: SearchService,
) -> None:
    cases = [
        ("client sesion", "aiohttp", "ClientSession"),
        ("json respnse", "aiohttp", "json_response"),
        ("file system loader", "jinja2", "FileSystemLoader"),
    ]
    for query, repo, symbol in cases:
        response = await packages.search(query, repo=repo)
        assert (response.hits[0].symbol, response.hits[0].kind) == (symbol, "definition"), query
    phrase = await packages.search("load the template", repo="jinja2")
    assert phrase.kind == "text" and phrase.hits[0].kind != "reference"
