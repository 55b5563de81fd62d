"""Entities in a message: numbers however written, repository names anywhere, "this"/"it".

Each found entity is replaced in the word list by its placeholder (`{n}`, `{repo}`, `{ref}`),
so "open the third one", "open #3" and "open3" all meet the example "open {n}".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from bot.nlu.text import words as text_words

NUMBER = "{n}"
REPO = "{repo}"
REF = "{ref}"
PLACEHOLDERS = frozenset({NUMBER, REPO, REF})
MAX_NUMBER = 999_999

CARDINALS: dict[str, int] = {
    **dict.fromkeys(["one"], 1),
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    # es / pt / it / fr / de
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "dois": 2, "duas": 2, "quatro": 4, "due": 2, "tre": 3,
    "quattro": 4, "cinque": 5, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5,
    "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "ek": 1, "teen": 3, "char": 4, "paanch": 5, "twee": 2, "drie": 3, "vijf": 5,
    "два": 2, "три": 3, "четыре": 4, "пять": 5,
    "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पांच": 5, "पाँच": 5,
}  # fmt: skip
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
    "primero": 1, "primera": 1, "primer": 1, "segundo": 2, "segunda": 2, "tercero": 3,
    "tercera": 3, "tercer": 3, "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5,
    "sexto": 6, "sexta": 6, "septimo": 7, "septima": 7, "octavo": 8, "octava": 8, "noveno": 9,
    "novena": 9, "decimo": 10, "decima": 10,
    "primeiro": 1, "primeira": 1, "terceiro": 3, "terceira": 3, "setimo": 7, "setima": 7,
    "oitavo": 8, "oitava": 8, "nono": 9, "nona": 9,
    "sesto": 6, "sesta": 6, "settimo": 7, "settima": 7, "ottavo": 8, "ottava": 8,
    "sixieme": 6, "septieme": 7, "huitieme": 8, "neuvieme": 9, "dixieme": 10,
    "sechste": 6, "sechsten": 6, "siebte": 7, "siebten": 7, "achte": 8, "achten": 8,
    "neunte": 9, "neunten": 9, "zehnte": 10, "zehnten": 10,
    "primo": 1, "prima": 1, "secondo": 2, "seconda": 2, "terzo": 3, "terza": 3, "quarto": 4,
    "premier": 1, "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5,
    "erste": 1, "ersten": 1, "erstes": 1, "zweite": 2, "zweiten": 2, "dritte": 3, "dritten": 3,
    "vierte": 4, "vierten": 4, "funfte": 5, "funften": 5,
    "pehla": 1, "pehli": 1, "doosra": 2, "doosri": 2, "dusra": 2, "dusri": 2, "teesra": 3,
    "teesri": 3, "tisra": 3, "chautha": 4, "chauthi": 4, "paanchva": 5,
    "eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5,
    "पहला": 1, "पहली": 1, "दूसरा": 2, "दूसरी": 2, "तीसरा": 3, "तीसरी": 3, "चौथा": 4, "चौथी": 4,
    "पांचवां": 5, "पाँचवाँ": 5,
    # ru, folded as the matcher folds it ("й" loses its breve)
    "первыи": 1, "первая": 1, "первое": 1, "первую": 1, "второи": 2, "вторая": 2, "второе": 2,
    "вторую": 2, "третии": 3, "третья": 3, "третье": 3, "третью": 3, "четвертыи": 4,
    "четвертая": 4, "четвертое": 4, "четвертую": 4, "пятыи": 5, "пятая": 5, "пятое": 5,
    "пятую": 5, "шестои": 6, "первого": 1, "второго": 2, "третьего": 3, "четвертого": 4,
    "пятого": 5,
    # pl, tr (with the accusative ending: "ikinciyi açıkla")
    "pierwszy": 1, "pierwsza": 1, "pierwsze": 1, "pierwszego": 1, "drugi": 2, "druga": 2,
    "drugie": 2, "drugiego": 2, "trzeci": 3, "trzecia": 3, "trzecie": 3, "trzeciego": 3,
    "czwarty": 4, "czwarta": 4, "czwartego": 4, "piaty": 5, "piata": 5, "piatego": 5,
    "birinci": 1, "birinciyi": 1, "ikinci": 2, "ikinciyi": 2, "ucuncu": 3, "ucuncuyu": 3,
    "dorduncu": 4, "dorduncuyu": 4, "besinci": 5, "besinciyi": 5,
}  # fmt: skip
# Words that say "the result this is about": the one opened or explained last.
REFERENCES = frozenset({"this", "it", "that", "this one", "that one", "isso", "esto", "ca"})
# After an ordinal these are nouns ("the third one"); before a number, they say "number".
NOUNS = frozenset(
    {"one", "result", "match", "hit", "item", "option", "entry", "file", "link", "wala", "wali"}
    | {"वाला", "वाली"}
)
NUMBER_WORDS = frozenset({"number", "no", "nr", "num", "nro", "numero", "nummer", "n"})
# Before a number, these say it counts lines of the code shown, not results ("whats line 9 doing")
LINE_WORDS = frozenset(
    {"line", "lines", "ln", "zeile", "ligne", "linea", "linha", "строка", "строке", "строку"}
)
LAST = "last"  # "the last one": the last result shown, resolved where the results are known
BEFORE_LAST = "before last"  # "the one before the last", "second to last": the one before it
MIDDLE = "middle"  # "the middle one" of three (five...): resolved where the list is known
MIDDLE_WORDS = frozenset(
    {"middle", "medio", "meio", "mezzo", "milieu", "mittlere", "mittleren", "middelste"}
)
# Before one of those said last: "the one in the middle", "el del medio", "celui du milieu"
_BEFORE_MIDDLE = frozenset({"the", "el", "la", "le", "il", "der", "die", "del", "do", "du", "in"})
# "explain the next one", "show me the previous one": the result after (before) the one opened
# or explained last. Said alone ("next one") it is no number: the flows' next_result does the
# next one as the last one was done.
NEXT = "next"
PREVIOUS = "previous"
_ALONG = {"next": NEXT, "following": NEXT, "previous": PREVIOUS, "prev": PREVIOUS}
_ALONG_NOUNS = frozenset({"one", "result", "match", "hit", "item"})
# Between the command and "the next one": "show me the next one", "open up the next result"
_BEFORE_ALONG = frozenset({"the", "me", "us", "up", "also", "now", "then"})
# How "before the last" is said, as normalised words
_BEFORE_LAST_SAID = (
    ("one", "before", "the", "last"), ("one", "before", "last"), ("before", "the", "last"),
    ("second", "to", "last"), ("2nd", "to", "last"), ("second", "last"), ("2nd", "last"),
    ("last", "but", "one"), ("penultimate",), ("penultimo",), ("penultima",),
    ("vorletzte",), ("vorletzten",), ("vorletztes",), ("avant", "dernier"),
    ("avant", "derniere"), ("lavant", "dernier"), ("lavant", "derniere"),
)  # fmt: skip
_BEFORE_LAST_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {
    first: tuple(said for said in _BEFORE_LAST_SAID if said[0] == first)
    for first in {said[0] for said in _BEFORE_LAST_SAID}
}
LAST_WORDS = frozenset({"last", "ultimo", "ultima", "dernier", "derniere", "letzte", "letzten"})
# The articles before one of those that make it "the last one": "abre el ultimo", "le dernier"
_ARTICLES = frozenset({"the", "el", "la", "le", "il", "lo", "l", "o", "a", "den", "der", "die"})
# "Last" in languages without articles: the last one wherever it stands ("wyjasnij ostatni")
LAST_ALONE = frozenset(
    {"ostatni", "ostatnia", "ostatnie", "ostatniego", "последнии", "последняя", "последнее",
     "последнюю", "последнего", "sonuncu", "sonuncuyu", "마지막"}
)  # fmt: skip
_PLACE_WORDS = LAST_WORDS | LAST_ALONE | MIDDLE_WORDS  # see _place_at
# 3rd, 5's, and Turkish case endings after an apostrophe ("5'i aç", "1'in kodu")
_DIGITS = re.compile(
    r"^#?(-?\d{1,6})(?:st|nd|rd|th|e|eme|er|o|a|s|º|ª|\.|i|yi|in|nin|u|yu|un|nun|ı|yı|ın|nın)?$"
)
_GLUED = re.compile(r"^([a-z]{2,})(\d{1,4})$")  # "open3"


@dataclass(slots=True)
class Found:
    """The words with entities replaced by placeholders, and the entities' values."""

    tokens: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=list)


# Korean ordinals: a count before 번째 ("세 번째", the third; "3번째"); "3번" is number 3 ("한 번"
# is "once")
_KOREAN_COUNTS = {"첫": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
                  "아홉": 9, "열": 10}  # fmt: skip
_KOREAN_ORDINAL = "번째"


def number_of(token: str) -> int | None:
    for counter in (_KOREAN_ORDINAL, "번"):
        stem = token[: -len(counter)] if token.endswith(counter) else ""
        if stem:
            if stem.isdigit():
                return int(stem) if int(stem) <= MAX_NUMBER else None
            return _KOREAN_COUNTS.get(stem) if counter == _KOREAN_ORDINAL else None
    m = _DIGITS.match(token)
    if m:
        value = int(m.group(1))
        return value if -MAX_NUMBER <= value <= MAX_NUMBER else None
    if token in ORDINALS:
        return ORDINALS[token]
    return CARDINALS.get(token)


def split_glued(tokens: Sequence[str], vocabulary: Collection[str]) -> list[str]:
    """ "open3" -> "open", "3" when "open" is a word the commands use."""
    out: list[str] = []
    for token in tokens:
        m = _GLUED.match(token)
        if m and m.group(1) in vocabulary:
            out.extend(m.groups())
        else:
            out.append(token)
    return out


def find_numbers(tokens: list[str]) -> Found:
    found = Found([])
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value = number_of(token)
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (token in _KOREAN_COUNTS or token.isdigit()) and nxt in (_KOREAN_ORDINAL, "번"):
            tokens = [*tokens[:i], token + nxt, *tokens[i + 2 :]]  # "세 번째": one word
            continue
        if token in NUMBER_WORDS and nxt is not None and number_of(nxt) is not None:
            i += 1  # "number 3", "no 3": the word only says a number follows
            continue
        along = _along_at(tokens, i) if token in _ALONG else None
        if along is not None:
            found.values.setdefault("number", along)
            found.tokens.append(NUMBER)
            i += 2
            continue
        said = _before_last_at(tokens, i) if token in _BEFORE_LAST_BY_FIRST else 0
        if said:
            found.values.setdefault("number", BEFORE_LAST)
            found.tokens.append(NUMBER)
            nxt = tokens[i + said] if i + said < len(tokens) else None
            i += said + (1 if nxt in NOUNS else 0)
            continue
        place = _place_at(tokens, i) if token in _PLACE_WORDS else None
        if place is not None:  # "the last one", "the middle one"
            found.values.setdefault("number", place)
            found.tokens.append(NUMBER)
            i += 2 if nxt in NOUNS else 1
            continue
        if (
            value is None
            or (token == "one" and _one_is_a_noun(tokens, i))
            or _an_age(tokens, i)
            or (i and tokens[i - 1] in LINE_WORDS)
        ):
            found.tokens.append(token)
            i += 1
            continue
        found.numbers.append(value)
        found.tokens.append(NUMBER)
        i += 1
        if nxt in NOUNS:
            i += 1  # "the third one", "2nd result"
    if found.numbers:
        found.values["number"] = found.numbers[0]
    return found


def _place_at(tokens: list[str], i: int) -> str | None:
    """LAST or MIDDLE when ``tokens[i]`` says "the last one" ("le dernier", "ostatni") or "the
    middle one" ("the one in the middle", "el del medio"), else None."""
    token = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    before = tokens[i - 1] if i else None
    if token in LAST_ALONE or (token in LAST_WORDS and (nxt in NOUNS or before in _ARTICLES)):
        return LAST
    if token in MIDDLE_WORDS and (nxt in NOUNS or (nxt is None and before in _BEFORE_MIDDLE)):
        return MIDDLE
    return None


def _before_last_at(tokens: list[str], i: int) -> int:
    """How many words from ``tokens[i]`` say "the one before the last", or 0."""
    for said in _BEFORE_LAST_BY_FIRST.get(tokens[i], ()):
        if tuple(tokens[i : i + len(said)]) == said:
            return len(said)
    return 0


def _along_at(tokens: list[str], i: int) -> str | None:
    """NEXT or PREVIOUS when ``tokens[i:]`` say "next one" ("previous result") after a command
    about a result ("explain the next one"), else None."""
    said = _ALONG.get(tokens[i])
    if said is None or i + 1 >= len(tokens) or tokens[i + 1] not in _ALONG_NOUNS:
        return None
    j = i - 1
    while j >= 0 and tokens[j] in _BEFORE_ALONG:
        j -= 1
    return said if j >= 0 and tokens[j] in _BEFORE_ONE else None


def along_the_list(value: object, opened: object) -> int | None:
    """The number NEXT or PREVIOUS stands for after result ``opened`` (none: the first), or
    None for any other value."""
    if value not in (NEXT, PREVIOUS):
        return None
    last = opened if isinstance(opened, int) else 0
    return last + 1 if value == NEXT else max(last - 1, 1)


def from_the_end(value: object, size: int) -> int:
    """Where a number said from the end of a list of ``size`` stands, counted back from it (the
    last: 1, the one before: 2, the middle one of three: 2); 0 for any other number, and for a
    middle no list of that size has."""
    if value == MIDDLE:
        return (size + 1) // 2 if size % 2 and size >= 3 else 0
    return 1 if value == LAST else 2 if value == BEFORE_LAST else 0


def place_in_list(value: object, size: int) -> int | None:
    """The place (from 1) in a list of ``size`` of a number said from its end ("the last one",
    "the one before the last", "the middle one"); None for any other number, or a place the
    list does not have."""
    back = from_the_end(value, size)
    return size + 1 - back if back and size >= back else None


_BEFORE_ONE = frozenset(
    {"open", "show", "see", "view", "result", "number", "no", "option", "explain", "pick",
     "choose", "select", "page", "item", "code", "describe", "#"}
)  # fmt: skip


def _an_age(tokens: list[str], i: int) -> bool:
    """The 5 of "explain like I'm 5", "like a 5 year old", "eli5": an age, not a result."""
    before = tokens[max(0, i - 3) : i]
    if before[-1:] == ["eli"] or before[-2:] in (["like", "im"], ["like", "a"]):
        return True
    return before == ["like", "i", "am"]


def _one_is_a_noun(tokens: list[str], i: int) -> bool:
    """ "this one", "the http one", "which one": not the number 1; "open one", "one": 1."""
    return i > 0 and tokens[i - 1] not in _BEFORE_ONE


def find_repos(
    tokens: list[str],
    repos: Sequence[str],
    *,
    aliases: Mapping[str, str] | None = None,
    cutoff: float = 84.0,
) -> Found:
    """Repository names anywhere in the words, also misspelt ("jnja2") or without a trailing
    version digit ("jinja" for jinja2). Short words are left alone: "code" is not "codechat".
    ``aliases`` (alias -> name, from the configuration) name a repository too: "the bot",
    "the http library"; only those of ``repos`` count, spelt as configured or nearly."""
    found = Found(list(tokens))
    if not repos:
        return found
    keys = _repo_keys(tuple(repos), tuple((aliases or {}).items()))
    i = 0
    out: list[str] = []
    while i < len(tokens):
        best: tuple[float, int, str, bool] | None = None
        at_best = -1
        for width, texts in keys.by_width.items():
            window = " ".join(tokens[i : i + width])
            # Only the names that can reach the cutoff are weighed: an alias counts as said
            # or nearly (a ratio of 90), a name from the cutoff.
            near = process.extract(
                window,
                texts,
                scorer=fuzz.ratio,
                processor=None,
                limit=None,
                score_cutoff=min(cutoff, 90.0),
            )
            for at in sorted({keys.owners[width][n] for _text, _score, n in near}):
                _width, target, bare, name, alias = keys.keys[at]
                if alias:
                    close = len(target) >= 8 and fuzz.ratio(window, target) >= 90
                    score = 100.0 if window == target or close else 0.0
                elif len(window) < 4:
                    continue
                else:
                    score = max(fuzz.ratio(window, target), fuzz.ratio(window, bare))
                # The first name said as well and as long wins, as the configuration orders them.
                better = best is None or (score, width, -at) > (best[0], best[1], -at_best)
                if score >= cutoff and better:
                    best, at_best = (score, width, name, alias), at
        if best is None:
            out.append(tokens[i])
            i += 1
            continue
        found.values.setdefault("repo", best[2])
        if not best[3]:
            found.values["repo_by_name"] = True  # not only "the bot", which may mean this one
        out.append(REPO)
        i += best[1]
    found.tokens = out
    return found


@dataclass(frozen=True)
class _RepoKeys:
    """What `find_repos` compares windows of words with: ``keys`` are (words in it, its text,
    the text without a trailing version digit, the repository, whether it is another name), and
    by number of words, the texts to compare and the key each belongs to."""

    keys: list[tuple[int, str, str, str, bool]]
    by_width: dict[int, list[str]]
    owners: dict[int, list[int]]


@functools.lru_cache(maxsize=32)
def _repo_keys(repos: tuple[str, ...], aliases: tuple[tuple[str, str], ...]) -> _RepoKeys:
    """Made once per configuration."""
    named = [(_repo_words(name), name, False) for name in repos]
    named += [
        (words, name, True)
        for alias, name in aliases
        if name in repos and (words := text_words(alias))
    ]
    keys = [
        (len(words), " ".join(words), " ".join(words).rstrip("0123456789"), name, alias)
        for words, name, alias in named
    ]
    by_width: dict[int, list[str]] = {}
    owners: dict[int, list[int]] = {}
    for at, (width, target, bare, _name, alias) in enumerate(keys):
        for text in (target,) if alias or bare == target else (target, bare):
            by_width.setdefault(width, []).append(text)
            owners.setdefault(width, []).append(at)
    return _RepoKeys(keys, dict(sorted(by_width.items())), owners)


def _repo_words(name: str) -> list[str]:
    return re.sub(r"[^0-9a-z]+", " ", name.casefold()).split() or [name.casefold()]


def find_reference(tokens: list[str]) -> Found:
    """ "explain this", "what does it do": the result opened or explained last."""
    found = Found([])
    i = 0
    while i < len(tokens):
        pair = " ".join(tokens[i : i + 2])
        if pair in REFERENCES:
            found.tokens.append(REF)
            found.values["ref"] = True
            i += 2
        elif tokens[i] in REFERENCES:
            found.tokens.append(REF)
            found.values["ref"] = True
            i += 1
        else:
            found.tokens.append(tokens[i])
            i += 1
    return found


MIN_DESCRIBING_CHARS = 4  # "the", "own": too short to tell a repository by
MIN_PREFIX_CHARS = 3  # "aio" for aiohttp


def described_repo(
    tokens: Sequence[str], descriptions: Mapping[str, str], *, common: Collection[str] = ()
) -> str | None:
    """The one repository that normalised ``tokens`` describe, for a message that asks to
    switch repository without naming one: its name written in pieces ("aio http") or begun
    ("can we move to aio"), or a word of its description (name -> description) that no other
    repository's has ("the asyncio one"). ``common`` words (stop words, the words of commands:
    "code" is no abbreviation of codechat) describe nothing."""
    named: set[str] = set()
    for name in descriptions:
        whole = "".join(_repo_words(name))
        bare = whole.rstrip("0123456789")
        for i in range(len(tokens)):
            for width in (2, 3):
                if "".join(tokens[i : i + width]) in (whole, bare):
                    named.add(name)
            token = tokens[i]
            short = MIN_PREFIX_CHARS <= len(token) < len(bare)
            if short and bare.startswith(token) and token not in common:
                named.add(name)
    if len(named) == 1:
        return named.pop()
    if named:
        return None
    describing = {
        name: {
            w for w in text_words(description) if len(w) >= MIN_DESCRIBING_CHARS and w not in common
        }
        for name, description in descriptions.items()
    }
    owners: dict[str, set[str]] = {}
    for name, words in describing.items():
        for word in words:
            owners.setdefault(word, set()).add(name)
    found = {next(iter(owners[t])) for t in tokens if len(owners.get(t, ())) == 1}
    return found.pop() if len(found) == 1 else None
