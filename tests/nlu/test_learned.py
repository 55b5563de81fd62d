"""The classifier learned from labelled messages: what it reads, what it leaves as text, and how
it meets the matcher (only where no example matched, or to overrule a guess by words)."""

from __future__ import annotations

from bot.nlu.intents import IntentMatcher
from bot.nlu.learned import OTHER, LazyLearned, LearnedIntents, features
from bot.nlu.text import normalize

LABELLED = [
    ("explain {n}", "explain"),
    ("what does {n} do", "explain"),
    ("walk me through {n}", "explain"),
    ("explicame el {n}", "explain"),
    ("start over", "start_over"),
    ("restart", "start_over"),
    ("lets begin again", "start_over"),
    ("new search", "search"),
    ("search something else", "search"),
    ("where is the template loader", OTHER),
    ("how are templates cached", OTHER),
    ("where do we parse the config file", OTHER),
    ("class that renders markdown", OTHER),
]


def test_features_are_words_pairs_and_pieces_of_words() -> None:
    found = features("explain {n}")
    assert {"w explain", "w {n}", "b explain {n}", "c <ex", "c ain>"} <= found
    assert not any(f.startswith("c ") and "{" in f for f in found)  # placeholders stay whole


def test_a_new_phrasing_is_read_by_the_words_it_shares() -> None:
    model = LearnedIntents(LABELLED)
    found = model.predict("can you walk me through what {n} does", {"explain"})
    assert found is not None and found[0] == "explain" and found[1] > 0.75
    label, _p = model.predict("where are templates loaded", {"explain", "search"}) or ("", 0)
    assert label == OTHER


def test_only_the_allowed_labels_and_other_text_compete() -> None:
    model = LearnedIntents(LABELLED)
    assert model.predict("restart please", {"explain"}) is not None
    label, _p = model.predict("restart please", {"explain"}) or ("", 0)
    assert label != "start_over"
    assert model.predict("qqqq", {"explain"}) is None  # nothing it knows


def test_without_other_text_it_reads_nothing() -> None:
    commands_only = [(k, label) for k, label in LABELLED if label != OTHER]
    assert LearnedIntents(commands_only).predict("explain {n}", {"explain"}) is None


def test_training_waits_for_the_first_question() -> None:
    calls: list[int] = []

    def source() -> list[tuple[str, str]]:
        calls.append(1)
        return LABELLED

    lazy = LazyLearned(source)
    assert calls == []
    lazy.predict("explain {n}", {"explain"})
    lazy.predict("start over", {"start_over"})
    assert calls == [1]


def _matcher(confidence: float = 0.75) -> IntentMatcher:
    examples = {
        "explain": ["explain {n}", "what does {n} do"],
        "start_over": ["start over", "restart"],
        "search": ["new search", "search again", "start a new search"],
    }
    return IntentMatcher(
        examples,
        threshold=78,
        margin=4,
        learned=LazyLearned(lambda: LABELLED),
        learned_confidence=confidence,
    )


def test_the_matcher_asks_the_classifier_only_when_no_example_matched() -> None:
    matcher = _matcher()
    assert matcher.match("explain 3").how == "exact"
    found = matcher.match("could u walk me through 3")
    assert (found.intent, found.how, found.entities.get("number")) == ("explain", "learned", 3)
    assert matcher.match("where is the template loader").intent is None


def test_a_confidence_of_one_turns_the_classifier_off() -> None:
    assert _matcher(confidence=1.0).match("could u walk me through 3").intent is None


def test_text_is_normalised_alike_for_examples_and_messages() -> None:
    assert normalize("Explícame el 3") == "explicame el 3"


def test_chinese_and_japanese_are_read_by_their_characters() -> None:
    """Written without spaces, a whole sentence is one "word": its characters and pairs of
    characters are what it shares with other messages."""
    found = features("搜索代码")
    assert {"w 搜", "w 码", "b 搜索", "b 代码"} <= found
    model = LearnedIntents(
        [*LABELLED, ("搜索代码", "search"), ("新的搜索", "search"), ("代码在哪里", OTHER)]
    )
    got = model.predict("新搜索", {"search", "explain", "start_over"})
    assert got is not None and got[0] == "search"


def test_a_few_words_of_a_command_yield_to_a_sure_reading_as_a_question() -> None:
    """ "how are numbered options parsed" shares some words with help's examples; the
    classifier, sure it is a question about code, makes it one."""
    examples = {"help": ["how do i use this", "what are my options", "how do numbers work"]}
    labelled = [(k, "help") for k in examples["help"]] + [
        ("how are templates parsed", OTHER),
        ("how are options parsed in the cli", OTHER),
        ("where are numbered lists rendered", OTHER),
        ("how is the config parsed", OTHER),
    ]
    matcher = IntentMatcher(examples, threshold=78, margin=4, learned=LazyLearned(lambda: labelled))
    assert matcher.match("how are numbered options parsed").intent is None
    assert matcher.match("what are my options").intent == "help"
