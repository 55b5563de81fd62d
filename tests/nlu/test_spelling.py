"""Correcting a misspelt word to a known one, and the shortlists that keep matching cheap."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.nlu.intents import _ByLength
from bot.nlu.spelling import Speller, deletions
from bot.nlu.text import unstretched

WORDS = ["help", "open", "explain", "results", "restart", "search", "switch", "more", "menu"]


def test_deletions_are_every_way_to_drop_up_to_that_many_letters() -> None:
    assert deletions("abc", 1) == {"abc", "bc", "ac", "ab"}
    assert deletions("abc", 2) == {"abc", "bc", "ac", "ab", "a", "b", "c"}


def test_one_typo_of_any_kind_finds_the_word() -> None:
    speller = Speller(WORDS, 1)
    assert speller.nearest("hepl") == "help"  # two letters swapped
    assert speller.nearest("opne") == "open"
    assert speller.nearest("explian") == "explain"
    assert speller.nearest("serach") == "search"
    assert speller.nearest("swich") == "switch"  # a letter missing
    assert speller.nearest("resultss") == "results"  # one too many
    assert speller.nearest("menx") == "menu"  # one wrong


def test_two_typos_or_two_as_near_find_nothing() -> None:
    speller = Speller(WORDS, 1)
    assert speller.nearest("hlpe") is None  # two edits from "help"
    assert Speller(WORDS, 2).nearest("hlpe") == "help"
    assert Speller(["cart", "card"], 1).nearest("carx") is None  # one edit from both


def test_the_length_shortlist_finds_what_a_full_pass_finds() -> None:
    texts = ["open {n}", "show more", "more results", "start over", "help", "explain {n}", "menu"]
    shortlist = _ByLength(texts)
    for text in ["more", "open 3", "explain {n} please", "help me", "results more", "x"]:
        full = process.extract(
            text, texts, scorer=fuzz.ratio, processor=None, limit=None, score_cutoff=60
        )
        expected = sorted(((score, at) for _t, score, at in full), key=lambda p: (-p[0], p[1]))
        assert shortlist.ratios(text, 60) == expected


def test_a_stretched_word_is_the_word_it_stretches() -> None:
    known = {"hi", "good", "thx", "cool", "yes"}
    assert [unstretched(w, known) for w in ["hiii", "goood", "thxxx", "cooool", "yesss"]] == [
        "hi",
        "good",
        "thx",
        "cool",
        "yes",
    ]
    assert unstretched("heyyy", known) == "heyy"  # unknown: two letters left for the speller
    assert unstretched("1000", known) == "1000"  # numbers and plain words are left alone
    assert unstretched("foo", known) == "foo"
