"""Plain-language questions: what a definition says it does, synonyms counted once, words
read as asked, doers and deeds, inner helpers after the functions others call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.search.files import FileFilter
from bot.search.index import build, update
from bot.search.service import SearchService
from bot.search.summary import summary
from bot.search.symbols import Outliner
from tests.search.conftest import service_over

BODY = "\n".join(f"        total += weight_{i} * factor_{i}" for i in range(30))
LINKS = f'''def linkify(s, rel=None):
    """Convert URLs in text into clickable links."""
    total = 0
    for part in s.split():
{BODY}
    return total


def wrap(text, url):
    return [text, url, "links"]
'''


async def test_the_function_whose_docstring_says_it_comes_first(
    make_repo: Callable[..., Settings],
) -> None:
    service = await service_over(make_repo, {"pkg/text.py": LINKS})
    response = await service.search("turn urls in text into clickable links")
    assert response.hits[0].symbol == "linkify"


async def test_a_docstring_after_a_long_signature_is_read(packages: SearchService) -> None:
    # StreamResponse.set_cookie has fifteen lines of parameters before "Set or update response
    # cookie."; CookieJar.update_cookies mentions cookies more often.
    response = await packages.search("set a cookie on the response", repo="aiohttp")
    first = response.hits[0]
    assert (first.path, first.symbol) == ("web_response.py", "StreamResponse.set_cookie")


async def test_a_question_worded_like_a_docstring_finds_its_function(
    packages: SearchService,
) -> None:
    response = await packages.search("convert urls in text into clickable links", repo="jinja2")
    assert response.hits[0].symbol in {"urlize", "do_urlize"}
    assert response.hits[0].kind == "definition"


def test_the_summary_is_the_docstrings_first_paragraph_or_the_comment_above() -> None:
    python = [
        "@cached",
        "def load(",
        "    path: str,",
        '    mode: str = "(",  # not a bracket',
        ") -> dict[str, int]:",
        '    """Read the settings',
        "    file at `path`.",
        "",
        '    More details."""',
    ]
    assert summary(python, 2, ".py") == "Read the settings file at `path`."
    javascript = ["/**", " * Joins two paths.", " * @param a first", " */", "function join(a, b) {"]
    assert summary(javascript, 5, ".js") == "Joins two paths. @param a first"
    commented = ["# Sends a ping.", "def ping():", "    return 1"]
    assert summary(commented, 2, ".py") == "Sends a ping."
    assert summary(["def f():", "    x = '''not a docstring'''"], 1, ".py") == ""


async def test_a_synonym_beside_the_word_asked_adds_nothing(
    make_repo: Callable[..., Settings],
) -> None:
    # "fetch" is a synonym of "get": a chunk saying both is no better an answer to "get".
    files = {
        "pkg/a.py": "def alpha(x):\n    return get(x) + fetch(x)\n",
        "pkg/b.py": "def gamma(x):\n    return get(x) + other(x)\n",
    }
    service = await service_over(make_repo, files)
    response = await service.search("get", kind="text")
    scores = {h.symbol: h.score for h in response.hits if h.kind == "definition"}
    assert scores["alpha"] == scores["gamma"]


async def test_a_real_word_is_not_read_as_a_near_identifier(
    make_repo: Callable[..., Settings],
) -> None:
    # "print" is not in the code, "point" is: "print" is still read as asked, and its synonyms
    # (display, render, show) find the answer.
    files = {
        "pkg/view.py": (
            "def point_template(name):\n    return name\n\n\n"
            'def display_template(name):\n    """Display a template on the screen."""\n'
            "    return name\n"
        )
    }
    service = await service_over(make_repo, files)
    response = await service.search("print the template on screen")
    assert response.hits[0].symbol == "display_template"


async def test_a_doer_finds_its_deed(make_repo: Callable[..., Settings]) -> None:
    files = {
        "pkg/config.py": (
            "def save_config(path, config):\n    open(path, 'w').write(config)\n\n\n"
            "def load_config(path):\n    return open(path).read()\n"
        )
    }
    service = await service_over(make_repo, files)
    response = await service.search("where is the config loader")
    assert response.hits[0].symbol == "load_config"


async def test_an_inner_helper_comes_after_the_function_others_call(
    make_repo: Callable[..., Settings],
) -> None:
    said = '"""Parse one header line: one line, one header."""'
    helper = f"    def parse_header(line):\n        {said}\n"
    files = {
        "pkg/a.py": f"def outer(lines):\n{helper}        return line.split(':')\n",
        "pkg/b.py": (
            'def parse_header(line):\n    """Parse one header line."""\n'
            "    return line.split(':')\n"
        ),
    }
    service = await service_over(make_repo, files)
    response = await service.search("parse one header line")
    first = response.hits[0]
    assert (first.path, first.symbol) == ("pkg/b.py", "parse_header")


CHAIN = '''class Chain:
    """An immutable sequence of links."""

    def __init__(self, links):
        self.links = tuple(links)

    def __add__(self, other):
        return Chain(self.links + other.links)

    def __getitem__(self, index):
        found = self.links[index]
        return Chain(found) if isinstance(index, slice) else found

    def extend_links(self, more):
        return Chain([*self.links, *more])
'''


async def test_a_special_method_is_found_by_what_it_does(
    make_repo: Callable[..., Settings],
) -> None:
    service = await service_over(make_repo, {"pkg/chain.py": CHAIN})
    joined = await service.search("concatenate two chains")
    assert joined.hits[0].symbol == "Chain.__add__"
    sliced = await service.search("slicing a chain")
    assert sliced.hits[0].symbol == "Chain.__getitem__"


STREAM = '''class Payload:
    """What a request carries: its body, read in chunks. Each chunk is read from the body
    until the body ends; chunks of the body read ahead are buffered; the body read whole."""

    def __init__(self, body):
        self.body = body

    def read_chunk(self, size):
        return self.body.read(size)

    def close(self):
        self.body.close()


def read_file(path):
    return open(path).read()


def read_lines(path):
    return open(path).readlines()
'''


async def test_a_question_led_by_a_verb_finds_the_method_before_its_class(
    make_repo: Callable[..., Settings],
) -> None:
    # Three modules import the class: it is central, and a share of its method's score
    # would put it first.
    users = {f"pkg/use{i}.py": "from pkg.stream import Payload\n" for i in range(3)}
    service = await service_over(make_repo, {"pkg/stream.py": STREAM, **users})
    action = await service.search("read a chunk of the body")
    assert action.hits[0].symbol == "Payload.read_chunk"
    thing = await service.search("what a request carries")
    assert thing.hits[0].symbol == "Payload"


LEDGER = '''class Ledger:
    """An append-only record of the payments made to an account."""

    def __init__(self):
        self.entries = []

    def total(self):
        return sum(self.entries)


def describe(payments, account):
    """Describe the payments of an account as text."""
    return f"{account}: {len(payments)}"
'''


async def test_a_method_is_found_by_what_its_class_is(make_repo: Callable[..., Settings]) -> None:
    # `total` says nothing of payments or accounts; its class's summary does. The class gains
    # a share of what `total` says itself, not of the words `total` has from the class.
    service = await service_over(make_repo, {"pkg/ledger.py": LEDGER})
    response = await service.search("total of the payments made to an account")
    assert response.hits[0].symbol == "Ledger.total"


CHANGED_LEDGER = LEDGER.replace("sum(self.entries)", "0")


async def test_a_file_changed_since_the_build_ranks_a_method_by_its_class_too(
    make_repo: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_repo({"pkg/ledger.py": CHANGED_LEDGER})
    flt = FileFilter(tmp_path / "repo")
    snap = build("tiny", flt, outliner=Outliner())
    (tmp_path / "repo" / "pkg/ledger.py").write_text(LEDGER)
    service = SearchService.from_settings(settings, watch_changes=False)
    service.adopt(update(snap, ["pkg/ledger.py"], flt, outliner=Outliner()))
    response = await service.search("total of the payments made to an account")
    assert response.hits[0].symbol == "Ledger.total"


SAFE = '''class SafeText(str):
    """A text that is marked safe: it is never escaped again."""

    def __getitem__(self, key):
        return self.__class__(super().__getitem__(key))

    def upper(self):
        return self.__class__(super().upper())
'''


async def test_a_special_method_is_found_by_what_it_does_and_what_its_class_is(
    make_repo: Callable[..., Settings],
) -> None:
    # Slicing is what `__getitem__` does; a text marked safe is what its class is.
    service = await service_over(make_repo, {"pkg/safe.py": SAFE})
    response = await service.search("slicing a text keeps it marked safe")
    assert response.hits[0].symbol == "SafeText.__getitem__"
