"""A turn's reply as Teams shows it: markdown text, choices as Adaptive Card buttons."""

from __future__ import annotations

from typing import Any

from bot.channels.teams_render import MAX_MESSAGE_CHARS, choice_card, render, to_markdown
from bot.engine.reply import Choice
from bot.engine.turn import TurnResult


def result(*replies: str, choices: tuple[Choice, ...] = ()) -> TurnResult:
    return TurnResult(replies, "s", None, None, (), choices)


def wire(result: TurnResult) -> list[dict[str, Any]]:
    return [a.model_dump(by_alias=True, exclude_unset=True, mode="json") for a in render(result)]


def test_bold_becomes_markdown_bold_and_italic_stays() -> None:
    assert to_markdown("Send *open N* or _why?_") == "Send **open N** or _why?_"
    assert to_markdown("*1.* Search code") == "**1.** Search code"


def test_code_goes_through_as_written() -> None:
    text = "*a.py:1*\n```\nx = a*b*c  # <tag> & co\n```\nand `*args` too"
    assert to_markdown(text) == ("**a.py:1**\n```\nx = a*b*c  # <tag> & co\n```\nand `*args` too")


def test_text_from_a_repository_is_never_read_as_html() -> None:
    shown = to_markdown("Found <script>alert(1)</script> & more in List<T>")
    assert shown == "Found &lt;script&gt;alert(1)&lt;/script&gt; &amp; more in List&lt;T&gt;"


def test_arithmetic_and_lone_stars_are_not_bold() -> None:
    assert to_markdown("2 * 3 * 4 and a*b") == "2 * 3 * 4 and a*b"


def test_each_reply_is_one_markdown_message() -> None:
    assert wire(result("one", "two")) == [
        {"type": "message", "textFormat": "markdown", "text": "one"},
        {"type": "message", "textFormat": "markdown", "text": "two"},
    ]


def test_a_reply_too_long_for_one_message_is_split_keeping_code_fenced() -> None:
    code = "\n".join(f"line_{i} = {i}" for i in range(3000))
    messages = wire(result(f"```\n{code}\n```"))
    assert len(messages) > 1
    assert all(len(m["text"]) <= MAX_MESSAGE_CHARS for m in messages)
    assert all(m["text"].startswith("```") and m["text"].endswith("```") for m in messages)


def test_choices_are_buttons_on_the_last_message_whose_data_is_the_value() -> None:
    choices = (Choice("Search code", "1"), Choice("Switch repository", "2"))
    messages = wire(result("Hi!", "What would you like to do?", choices=choices))
    assert "attachments" not in messages[0]
    (card,) = messages[1]["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"] == [
        {"type": "Action.Submit", "title": "Search code", "data": {"choice": "1"}},
        {"type": "Action.Submit", "title": "Switch repository", "data": {"choice": "2"}},
    ]
    assert card["content"]["version"] == "1.4"


def test_many_choices_are_a_list_of_buttons_and_long_labels_are_cut() -> None:
    choices = tuple(
        Choice(f"repository-{i}" + "x" * (70 if i == 7 else 0), str(i)) for i in range(8)
    )
    card = choice_card(choices)
    assert "actions" not in card
    assert [b["actions"][0]["data"]["choice"] for b in card["body"]] == [str(i) for i in range(8)]
    assert len(card["body"][7]["actions"][0]["title"]) == 60
    assert card["body"][7]["actions"][0]["title"].endswith("…")


def test_choices_without_text_are_a_card_alone() -> None:
    messages = wire(result(choices=(Choice("More", "more"),)))
    assert len(messages) == 1 and "text" not in messages[0]
    assert messages[0]["attachments"][0]["content"]["actions"][0]["data"] == {"choice": "more"}


def test_a_turn_that_says_nothing_sends_nothing() -> None:
    assert render(result()) == []
