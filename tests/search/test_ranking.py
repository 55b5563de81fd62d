"""Which result comes first: definitions before stubs, re-exports and mentions; typos; questions."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.search import terms
from bot.search.service import SearchService
from tests.search.conftest import service_over

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


async def test_a_run_together_name_is_found_by_its_words_in_any_order(
    make_repo: Callable[..., Settings],
) -> None:
    known = {"xml", "attr", "fil", "siz", "format", "form"}  # indexed (stemmed) words
    assert terms.split_compound("xmlattr", known) == ("xml", "attr")
    assert terms.split_compound("filesizeformat", known) == ("fil", "siz", "format")
    assert terms.split_compound("formattr", {"form"}) == ()  # only into words the index knows
    files = {
        "tpl/filters.py": "def do_xmlattr(d):\n    return ' '.join(f'{k}={v}' for k, v in d)\n\n\n"
        "def do_wordcount(s):\n    return len(s.split())\n",
        "tpl/nodes.py": "class Attribute:\n    '''An attribute of a node.'''\n\n\n"
        "class Xml:\n    '''Xml output.'''\n\n\ndef get_attr(node, name):\n"
        "    return getattr(node, name)\n",
        "tpl/text.py": "def first_word(s):\n    return s.split()[0]\n\n\n"
        "def line_count(s):\n    return s.count('\\n')\n",
    }
    service = await service_over(make_repo, files)
    for query, symbol in (("build xml attributes from a dict", "do_xmlattr"),
                          ("count the words in a string", "do_wordcount")):  # fmt: skip
        response = await service.search(query)
        assert response.kind == "text", query
        assert response.hits[0].symbol == symbol, query


async def test_a_verb_finds_the_nouns_made_from_it(make_repo: Callable[..., Settings]) -> None:
    assert len({*terms.words("tokens tokenize tokenizer tokenization")}) == 1
    assert terms.words("compressor compression compress") == ["compress"] * 3
    assert terms.words("runner header") == ["runner", "header"]  # no "run", no "head"
    files = {
        "tpl/lexer.py": "class Lexer:\n    def tokenize(self, source):\n"
        "        return list(self.scan(source))\n",
        "tpl/web.py": "def enable_compression(response):\n    response.compression = True\n",
        "tpl/other.py": "def send_response(response):\n    response.send()\n",
    }
    service = await service_over(make_repo, files)
    tokens = await service.search("how are tokens produced")
    assert tokens.hits[0].symbol == "Lexer.tokenize"
    gzip = await service.search("how do i compress the response")
    assert gzip.hits[0].symbol == "enable_compression"


async def test_json_and_yaml_are_words_but_a_word_in_every_path_decides_nothing(
    make_repo: Callable[..., Settings],
) -> None:
    # Every chunk of the "yaml" repository holds "yaml" (its folder): asking for it says nothing.
    files = {
        "yaml/__init__.py": "def dump(data, stream):\n    '''Serialize data into a stream.'''\n"
        "    return emit(data, stream)\n\n\n"
        "def yaml_object(cls):\n    '''Mark cls as a yaml object for the yaml loader.'''\n"
        "    return cls\n",
    }
    files["yaml/web.py"] = (
        "def json_response(data):\n    return Response(dumps(data))\n\n\n"
        "def text_response(text):\n    return Response(text)\n"
    )
    service = await service_over(make_repo, files)
    response = await service.search("write python data out as yaml text")
    assert response.hits[0].symbol == "dump"
    json = await service.search("return json from a handler")
    assert json.hits[0].symbol == "json_response"


async def test_an_overload_or_an_abstract_method_comes_after_the_one_that_does_the_work(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "md/abc.py": "import abc\n\n\nclass Mapping:\n    @abc.abstractmethod\n"
        "    def getall(self, key):\n        '''Return all values for key.'''\n",
        "md/impl.py": "from typing import overload\n\n\nclass MultiDict:\n    @overload\n"
        "    def getall(self, key: str) -> list: ...\n    @overload\n"
        "    def getall(self, key: str, default: int) -> list: ...\n"
        "    def getall(self, key, default=None):\n        return self._items.get(key, default)\n",
    }
    service = await service_over(make_repo, files)
    response = await service.search("getall")
    assert (response.hits[0].path, response.hits[0].line) == ("md/impl.py", 9)
    assert all(h.kind == "definition" for h in response.hits[:4])


async def test_a_method_comes_before_a_property_of_the_same_name(
    make_repo: Callable[..., Settings],
) -> None:
    # The session's setting is a property; the response's method is what people call.
    files = {
        "http/client.py": "class Session:\n    @property\n    def raise_for_status(self):\n"
        "        return self._raise\n",
        "http/response.py": "class Response:\n    def raise_for_status(self):\n"
        "        if self.status >= 400:\n            raise HTTPError(self.status)\n",
    }
    service = await service_over(make_repo, files)
    for query in ("raise_for_status", "raise_for_staus"):
        response = await service.search(query)
        first, second = response.hits[:2]
        assert (first.path, first.line) == ("http/response.py", 2), query
        assert (second.path, second.line) == ("http/client.py", 3), query


async def test_namesakes_the_one_imported_from_its_module_comes_first(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "tpl/__init__.py": "from .templating import Template\n",
        "tpl/app.py": "from tpl.templating import Template\n\nTemplate('x')\n",
        "tpl/nodes.py": "class Template:\n    '''A node.'''\n",
        "tpl/templating.py": "class Template:\n    '''A compiled template.'''\n",
    }
    service = await service_over(make_repo, files)
    for query in ("Template", "template class", "where is the Template class"):
        response = await service.search(query)
        assert response.hits[0].path == "tpl/templating.py", query


async def test_words_that_join_into_a_name_beat_one_of_them(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "tpl/environment.py": "class Template:\n    pass\n\n\nclass Environment:\n"
        "    def get_template(self, name):\n        return Template()\n",
        "tpl/runtime.py": "class Undefined:\n    pass\n\n\nclass StrictUndefined(Undefined):\n"
        "    pass\n",
    }
    service = await service_over(make_repo, files)
    for query, symbol in (("get template", "Environment.get_template"),
                          ("strict undefined", "StrictUndefined")):  # fmt: skip
        response = await service.search(query)
        assert response.hits[0].symbol == symbol, query


async def test_a_kind_asked_in_lower_case_outweighs_the_case(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "web/client.py": "def request(method, url):\n    return None\n",
        "web/server.py": "class Request:\n    pass\n",
    }
    service = await service_over(make_repo, files)
    assert (await service.search("request class")).hits[0].path == "web/server.py"
    assert (await service.search("request function")).hits[0].path == "web/client.py"
    assert (await service.search("request")).hits[0].path == "web/client.py"


async def test_a_file_asked_by_its_name_is_the_answer(make_repo: Callable[..., Settings]) -> None:
    files = {
        "tpl/loaders.py": "class FileSystemLoader:\n    pass\n",
        "tests/loaders.py": "def test_loader():\n    pass\n",
        "tpl/other.py": "import loaders\n",
    }
    service = await service_over(make_repo, files)
    for query in ("loaders.py", "where is loaders.py", "find Loaders.py"):
        response = await service.search(query)
        assert [(h.path, h.line) for h in response.hits] == [
            ("tpl/loaders.py", 1), ("tests/loaders.py", 1),
        ], query  # fmt: skip
    narrowed = await service.search("loaders.py -path:tests/*")
    assert [h.path for h in narrowed.hits] == ["tpl/loaders.py"]


async def test_a_definition_named_with_just_the_asked_words_comes_first(
    make_repo: Callable[..., Settings],
) -> None:
    files = {
        "web/abc.py": "class AbstractCookieJar:\n"
        "    '''Abstract cookie jar: what every cookie jar does with cookies.'''\n\n"
        "    def update_cookies(self, cookies):\n        '''Update cookies.'''\n",
        "web/cookiejar.py": "class CookieJar(AbstractCookieJar):\n    '''Keeps cookies.'''\n\n"
        "    def update_cookies(self, cookies):\n        self.cookies.update(cookies)\n\n\n"
        "class DummyCookieJar(AbstractCookieJar):\n"
        "    '''A cookie jar that keeps no cookies.'''\n",
    }
    service = await service_over(make_repo, files)
    response = await service.search("where is the cookie jar")
    assert response.kind == "text"
    assert response.hits[0].symbol == "CookieJar"
