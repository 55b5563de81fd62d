"""Results named by what they show: "explain the get_bucket one", "the environment.py one, show
me", "let me see the code of ChoiceLoader.load".

A result on screen is named by its symbol (`Bucket.__init__`, also `__init__` or "Bucket init")
or its file (`environment.py`, `bccache.py:55`), else by the class its method belongs to
(`Bucket`). When exactly one result on screen carries the name, the text is read with the
result's number in its place; the engine keeps that reading only when it is a command about a
result (open, explain), so "where is get_bucket used" stays a search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.nlu.entities import ORDINALS
from bot.nlu.text import normalize, words
from bot.nlu.vocabulary import STOPWORDS

MIN_NAME_CHARS = 4  # "py", "os", "app": too common to name one result


def result_names(hit: Mapping[str, Any]) -> list[list[str]]:
    """The word sequences that name ``hit``: its symbol, the symbol's last part, its file."""
    names: list[list[str]] = []
    symbol = str(hit.get("symbol") or "")
    path = str(hit.get("path") or "")
    line = hit.get("line")
    at = [f"{path}:{line}", f"{path.rsplit('/', 1)[-1]}:{line}"] if path and line else []
    for name in (symbol, symbol.rsplit(".", 1)[-1], path, path.rsplit("/", 1)[-1], *at):
        tokens = words(name)
        if tokens and len(name) >= MIN_NAME_CHARS and tokens not in names:
            names.append(tokens)
    owner, _dot, own = symbol.rpartition(".")
    if own in _CONSTRUCTORS and len(owner) >= MIN_NAME_CHARS:
        names += [[*words(owner), said] for said in _SAID_OF_A_CONSTRUCTOR]  # "Bucket constructor"
    if path and isinstance(line, int):
        names += _line_names(path, line)
    return names


def _stem(file: str) -> str:
    """A file's name without its extension: "bccache" of "bccache.py"."""
    return file.split(".")[0]


_CONSTRUCTORS = frozenset({"__init__", "__new__", "constructor", "new"})
_SAID_OF_A_CONSTRUCTOR = ("constructor", "ctor", "initializer", "init")


def _line_names(path: str, line: int) -> list[list[str]]:
    """A result said by its line and file: "line 25 of bccache", "bccache.py line 25"."""
    at = ["line", str(line)]
    names = []
    file = path.rsplit("/", 1)[-1]
    for said in dict.fromkeys((tuple(words(file)), tuple(words(_stem(file))))):
        names += [[*at, joint, *said] for joint in ("of", "in")] + [[*said, *at]]
    return names


MAX_REFERENCE_WORDS = 7  # "why is number 3 in the list": longer messages are questions
# Words after which a number points at a result ("the gist of 3", "why is 2 there", "number 4"),
# unlike "python 3" or "http 2", where it is part of a name.
_BEFORE_A_REFERENCE = frozenset(
    {"of", "is", "was", "are", "about", "in", "on", "at", "up", "number", "no", "nr", "result",
     "item", "option", "the", "did", "does", "do", "why", "what", "whats", "how", "and", "to",
     "see", "with", "for", "me", "cite", "cited", "show", "open", "explain"}
)  # fmt: skip


_REPOSITORY_WORDS = frozenset({"repo", "repos", "repository", "repositories", "codebase"})


def points_at_result(tokens: list[str], number: int) -> bool:
    """A short message (normalised ``tokens``) whose ``number`` stands as a reference to a
    result: first, or after a word that leads to one ("why is 2 there", not "python 3")."""
    if len(tokens) > MAX_REFERENCE_WORDS or not _REPOSITORY_WORDS.isdisjoint(tokens):
        return False  # a question, or "use the third repo": a repository of the list
    for i, token in enumerate(tokens):
        if token.lstrip("#") == str(number) or token == "{n}":
            return i == 0 or tokens[i - 1] in _BEFORE_A_REFERENCE
    return True  # written as a word or an ordinal ("the third", "5th")


def named_as_one(renamed: str, number: int) -> bool:
    """In text whose result name became ``#number`` (result_named), the name was said as a
    reference to the result ("why is the Template one cited"), not as a name to look up
    ("where is the environment configured", "where is get_bucket used")."""
    tokens = renamed.split()
    at = tokens.index(f"#{number}") if f"#{number}" in tokens else -1
    return at >= 0 and tokens[at + 1 : at + 2] in (["one"], ["ones"])  # "the X one's code"


def _inside(span: tuple[int, int, int], other: tuple[int, int, int]) -> bool:
    """``span`` (width, start, number) lies within the longer ``other``."""
    width, start, _n = span
    o_width, o_start, _o = other
    return o_width > width and o_start <= start and start + width <= o_start + o_width


def _owner_names(hit: Mapping[str, Any]) -> list[list[str]]:
    """The class (or outer function) a result's symbol belongs to: `ChoiceLoader` of
    `ChoiceLoader.load`."""
    symbol = str(hit.get("symbol") or "")
    owner = symbol.rsplit(".", 1)[0] if "." in symbol else ""
    tokens = words(owner)
    return [tokens] if tokens and len(owner) >= MIN_NAME_CHARS else []


def _file_stem_names(hit: Mapping[str, Any]) -> list[list[str]]:
    """A result's file without its extension ("the 2nd bccache one"), when nothing on screen
    is named so by its symbol."""
    stem = _stem(str(hit.get("path") or "").rsplit("/", 1)[-1])
    tokens = words(stem)
    return [tokens] if tokens and len(stem) >= MIN_NAME_CHARS else []


def _kind_names(hit: Mapping[str, Any]) -> list[list[str]]:
    """What a result's line is, said with "one": "the class one", "the class definition one",
    "the def one", "the import one", "the definition one"."""
    first = str(hit.get("text") or "").split()[:2]
    said = list(_LINE_KINDS.get(first[-1] if first[:1] == ["async"] else "".join(first[:1]), ()))
    if said and said[0] == ("function",) and "." in str(hit.get("symbol") or ""):
        said += [("method",), ("method", "definition")]
    if hit.get("kind") == "definition":
        said.append(("definition",))
    return [[*kind, "one"] for kind in said]


_LINE_KINDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "class": (("class",), ("class", "definition"), ("class", "def")),
    "def": (("function",), ("def",), ("function", "definition"), ("func",)),
    "import": (("import",),),
    "from": (("import",),),
}


def with_result_number(text: str, shown: Iterable[tuple[int, Mapping[str, Any]]]) -> str | None:
    """``text`` with the name of one result on screen replaced by its number ("explain #5"), or
    None when no result, or more than one, is named. A name covers whole words as typed:
    `BaseLoader` does not name a result inside `BaseLoader.get_source`."""
    named = result_named(text, shown)
    return named[0] if named is not None else None


def result_named(
    text: str, shown: Iterable[tuple[int, Mapping[str, Any]]]
) -> tuple[str, int] | None:
    """As with_result_number, with the number of the result named."""
    tokens, edges = _words_and_edges(text)
    shown = list(shown)
    # A result's own names first; failing those, the class its method belongs to
    # ("the ChoiceLoader one" for `ChoiceLoader.load`), when only one result on screen has it;
    # failing those, its file's name without the extension; failing those, what its line is
    # ("the class one").
    best: tuple[int, int, int] | None = None  # (length, start, number)
    for naming in (result_names, _owner_names, _file_stem_names, _kind_names):
        found = [
            (len(name), start, number)
            for number, hit in shown
            for name in naming(hit)
            if (start := _find(tokens, name, edges)) is not None
        ]
        # "bccache.py:55" names one result; "bccache.py" inside it, three, says nothing more.
        found = [f for f in found if not any(_inside(f, other) for other in found)]
        found = _narrowed(found, tokens)
        named = {number for _width, _start, number in found}
        best = max(found, default=None)
        if best is not None:
            break
    if best is None or len(named) != 1:
        return None
    width, start, number = best
    spans = {(w, s) for w, s, _n in found}
    if len(spans) > 1:
        # "BaseLoader in loaders.py": every name said is the result's; the others are dropped
        kept = set(range(len(tokens))) - {
            i for w, s in spans if (w, s) != (width, start) for i in range(s, s + w)
        }
        keep = sorted(kept)
        start = keep.index(start)
        tokens = [tokens[i] for i in keep]
    # "the Environment class one", "the class Environment one": the kind said with the name
    if start + width < len(tokens) and tokens[start + width] in _KINDS:
        width += 1
    elif start > 0 and tokens[start - 1] in _KINDS:
        start, width = start - 1, width + 1
    rest = tokens[:start] + tokens[start + width :]
    if not set(rest) - _NOT_A_COMMAND:
        return None  # the name alone ("BaseLoader.get_source", "the environment.py one"): a search
    return " ".join([*tokens[:start], f"#{number}", *tokens[start + width :]]), number


def _narrowed(found: list[tuple[int, int, int]], tokens: list[str]) -> list[tuple[int, int, int]]:
    """The names found, narrowed to fewer results by what else is said: an ordinal before a
    name ("the second loaders.py one": the second of the results carrying it on screen, the
    ordinal then part of the name; "the first" or "the last" of one, that one), and several
    names said of one result ("BaseLoader in
    loaders.py": the one result carrying both)."""
    by_span: dict[tuple[int, int], set[int]] = {}
    for width, start, number in found:
        by_span.setdefault((width, start), set()).add(number)
    out = []
    for (width, start), numbers in by_span.items():
        nth = _ordinal(tokens[start - 1]) if start > 0 else None
        if nth is None:
            out += [(width, start, number) for number in sorted(numbers)]
        elif 0 < nth <= len(numbers) or nth == -1:
            out.append((width + 1, start - 1, sorted(numbers)[nth - 1 if nth > 0 else -1]))
        # else: "the third loaders.py one" of two names none of them
    spans: dict[tuple[int, int], set[int]] = {}
    for width, start, number in out:
        spans.setdefault((width, start), set()).add(number)
    common = set.intersection(*spans.values()) if len(spans) > 1 else set()
    return [f for f in out if f[2] in common] if len(common) == 1 else out


_NTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")


def _ordinal(token: str) -> int | None:
    """The place an ordinal says ("second", "2nd"; "last" is -1), or None."""
    if token == "last":
        return -1
    m = _NTH.fullmatch(token)
    return int(m.group(1)) if m else ORDINALS.get(token)


_KINDS = frozenset({"class", "function", "func", "method", "def", "file", "module"})
_NOT_A_COMMAND = frozenset({"the", "one", "a", "this", "that", "in", "of"})


def _words_and_edges(text: str) -> tuple[list[str], set[int]]:
    """The words of ``text`` and the indexes where a typed word starts (and the end)."""
    tokens: list[str] = []
    edges = {0}
    for piece in text.split():
        tokens += words(piece)
        edges.add(len(tokens))
    return tokens, edges


def on_screen(slots: Mapping[str, Any], *, cited: int = 10) -> list[tuple[int, Mapping[str, Any]]]:
    """The results the user can see (the page shown, or the first ``cited`` of an answer), with
    the numbers they were shown with."""
    results: Sequence[Any] = slots.get("results") or []
    numbered = [(i, hit) for i, hit in enumerate(results, 1) if isinstance(hit, Mapping)]
    answered = slots.get("cited")  # an answer cites its first results, past the first page
    if isinstance(answered, int) and answered > 0:
        return numbered[:answered]
    shown: Sequence[Any] = slots.get("shown") or []
    if shown:
        return [(i, hit) for i, hit in numbered if hit in shown]
    return numbered[:cited]


def _find(tokens: list[str], name: list[str], edges: set[int]) -> int | None:
    for i in range(len(tokens) - len(name) + 1):
        if i in edges and i + len(name) in edges and tokens[i : i + len(name)] == name:
            return i
    return None


# "6-10", "results 6-10", "6 to 10 pls", "show me hits 6 to 10": the numbers of a page
_RANGE = re.compile(
    r"^\s*(?:(?:show|see|give|get)\s+(?:me\s+)?)?(?:the\s+)?(?:(?:results?|hits?|matches?)\s+|#)?"
    r"(\d{1,4})\s*(?:-|–|—|to|through|till|bis|a|à)\s*(\d{1,4})(?P<rest>.*)$",
    re.IGNORECASE,
)


def page_asked(text: str) -> tuple[int, int] | None:
    """The first and last number of a page of results that ``text`` asks for by its numbers
    alone ("6-10 pls"), or None."""
    m = _RANGE.match(text)
    if m is None:
        return None
    first, last = int(m.group(1)), int(m.group(2))
    if last <= first or any(w not in STOPWORDS for w in normalize(m.group("rest")).split()):
        return None
    return first, last
