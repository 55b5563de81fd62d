"""Question words in the languages people write in."""

from __future__ import annotations

import pytest

from bot.nlu.questions import asks, is_question
from bot.nlu.text import normalize


@pytest.mark.parametrize(
    "text",
    [
        "как закрывает соединения",
        "怎么加载模板",
        "wie lädt templates",
        "pourquoi ça plante",
        "how does it close",
        "どうやって読み込む",
    ],
)
def test_a_question_word_with_what_it_asks_about(text: str) -> None:
    assert asks(normalize(text).split())


@pytest.mark.parametrize("text", ["how", "怎么", "mein dekho", "jetzt", "use it please", ""])
def test_no_question_or_a_question_word_alone(text: str) -> None:
    assert not asks(normalize(text).split())


@pytest.mark.parametrize(
    "text",
    [
        "is it case sensitive",
        "can i filter only class definitions",
        "do i need the backticks",
        "kann ich filtern",
        "why only 5",
        "numbers on the left?",
        "¿puedo buscar en un archivo",
    ],
)
def test_a_question_about_the_bot(text: str) -> None:
    assert is_question(text, normalize(text).split())


@pytest.mark.parametrize("text", ["first filter", "tojson filter", "case sensitive", "tests", ""])
def test_words_that_ask_nothing(text: str) -> None:
    assert not is_question(text, normalize(text).split())
