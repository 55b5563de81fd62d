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
    return names


MAX_REFERENCE_WORDS = 7  # "why is number 3 in the list": longer messages are questions
# Words after which a number points at a result ("the gist of 3", "why is 2 there", "number 4"),
# unlike "python 3" or "http 2", where it is part of a name.
_BEFORE_A_REFERENCE = frozenset(
    {"of", "is", "was", "are", "about", "in", "on", "at", "up", "number", "no", "nr", "result",
     "item", "option", "the", "did", "does", "do", "why", "what", "whats", "how", "and", "to",
     "see", "with", "for", "me", "cite", "cited", "show", "open", "explain"}
)  # fmt: skip


def points_at_result(tokens: list[str], number: int) -> bool:
    """A short message (normalised ``tokens``) whose ``number`` stands as a reference to a
    result: first, or after a word that leads to one ("why is 2 there", not "python 3")."""
    if len(tokens) > MAX_REFERENCE_WORDS:
        return False
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
    # ("the ChoiceLoader one" for `ChoiceLoader.load`), when only one result on screen has it.
    best: tuple[int, int, int] | None = None  # (length, start, number)
    for naming in (result_names, _owner_names):
        found = [
            (len(name), start, number)
            for number, hit in shown
            for name in naming(hit)
            if (start := _find(tokens, name, edges)) is not None
        ]
        # "bccache.py:55" names one result; "bccache.py" inside it, three, says nothing more.
        found = [f for f in found if not any(_inside(f, other) for other in found)]
        named = {number for _width, _start, number in found}
        best = max(found, default=None)
        if best is not None:
            break
    if best is None or len(named) != 1:
        return None
    width, start, number = best
    # "the Environment class one", "the class Environment one": the kind said with the name
    if start + width < len(tokens) and tokens[start + width] in _KINDS:
        width += 1
    elif start > 0 and tokens[start - 1] in _KINDS:
        start, width = start - 1, width + 1
    rest = tokens[:start] + tokens[start + width :]
    if not set(rest) - _NOT_A_COMMAND:
        return None  # the name alone ("BaseLoader.get_source", "the environment.py one"): a search
    return " ".join([*tokens[:start], f"#{number}", *tokens[start + width :]]), number


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


# "6-10", "results 6-10", "6 to 10 pls": the numbers of a page, as the bot writes them
_RANGE = re.compile(
    r"^\s*(?:results?\s+|#)?(\d{1,4})\s*(?:-|–|—|to|through|till|bis|a|à)\s*(\d{1,4})(?P<rest>.*)$",
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
