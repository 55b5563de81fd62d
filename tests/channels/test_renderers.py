"""The renderers' edges: Slack's escaping and limits, WhatsApp's interactive message limits."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from bot.channels import console_render, slack_render, whatsapp_render
from bot.channels.slack import plain_text
from bot.engine.reply import Choice

MENU = (Choice("Search code", "1"), Choice("Switch repository", "2"), Choice("Ask", "3"))


def test_slack_escapes_what_would_become_a_mention_or_a_link() -> None:
    (message,) = slack_render.render(["<!channel> see <https://evil.example|docs> & a<b"])
    text = message.blocks[0]["text"]["text"]
    assert text == "&lt;!channel&gt; see &lt;https://evil.example|docs&gt; &amp; a&lt;b"
    assert message.text == text  # the notification text is escaped the same way


def test_slack_keeps_code_fences_whole_when_a_long_reply_is_split() -> None:
    code = "\n".join(f"line {n} = a < b" for n in range(400))
    (message,) = slack_render.render([f"*x.py:1*\n```\n{code}\n```"])
    sections = [b["text"]["text"] for b in message.blocks]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert all(s.count("```") % 2 == 0 for s in sections)
    assert "line 399 = a &lt; b" in sections[-1]


@pytest.mark.parametrize("at", [2997, 2998, 2999, 3000, 3001])
def test_slack_never_cuts_a_long_reply_inside_an_escaped_character(at: int) -> None:
    text = "x" * at + "<" + "y" * (3500 - at)
    sections = [b["text"]["text"] for m in slack_render.render([text]) for b in m.blocks]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert not any(re.search(r"&(?!(?:lt|gt|amp);)", s) for s in sections)  # no "&l" | "t;"
    assert "".join(unescape(s) for s in sections) == text  # nothing lost or garbled


def test_slack_a_reply_of_nothing_but_escaped_characters_fits_its_sections() -> None:
    sections = [b["text"]["text"] for m in slack_render.render(["<>&" * 2500]) for b in m.blocks]
    assert all(len(s) <= 3000 for s in sections)
    assert "".join(unescape(s) for s in sections) == "<>&" * 2500


def test_slack_buttons_carry_the_value_and_a_short_label() -> None:
    choices = (
        Choice("x" * 100, "open 1"),
        *(Choice(f"Open {n}", f"open {n}") for n in range(2, 31)),
    )
    (message,) = slack_render.render(["Results"], choices)
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]  # Slack takes 25 per block
    first = actions[0]["elements"][0]
    assert first["value"] == "open 1" and len(first["text"]["text"]) == 75
    assert first["text"]["text"].endswith("…")


def test_slack_past_fifty_blocks_is_several_messages() -> None:
    messages = slack_render.render([f"reply {n}" for n in range(60)], MENU)
    assert [len(m.blocks) for m in messages] == [50, 11]
    assert messages[-1].blocks[-1]["type"] == "actions"


def test_slack_text_typed_by_a_person_is_read_back_plain() -> None:
    typed = "<@U0BOT> find <https://x.example/a?b=1&amp;c=2|the page> &lt;T&gt; &amp; <#C1|general>"
    assert plain_text(typed) == "find the page <T> & general"
    assert plain_text("<@U0BOT>   open   2") == "open 2"


def test_whatsapp_three_choices_are_buttons_and_ten_a_list() -> None:
    buttons = whatsapp_render.render(["Hi", "What would you like?"], MENU, interactive=True)
    assert buttons.parts == ("Hi",) and buttons.body == "What would you like?"
    assert buttons.template is not None and buttons.template.kind == "twilio/quick-reply"
    assert dict(buttons.variables) == {
        "1": "What would you like?",
        **{"2": "Search code", "3": "1", "4": "Switch repository", "5": "2"},
        **{"6": "Ask", "7": "3"},
    }
    ten = tuple(Choice(f"repository number {n}", str(n)) for n in range(1, 11))
    listed = whatsapp_render.render(["Which?"], ten, interactive=True)
    assert listed.template is not None and listed.template.kind == "twilio/list-picker"
    items = listed.template.types["twilio/list-picker"]["items"]
    assert [i["id"] for i in items] == [f"{{{{{2 * n + 1}}}}}" for n in range(1, 11)]
    ids = [listed.variables[str(2 * n + 1)] for n in range(1, 11)]
    labels = [listed.variables[str(2 * n)] for n in range(1, 11)]
    assert ids == [str(n) for n in range(1, 11)] and all(len(label) <= 24 for label in labels)


def test_whatsapp_more_than_ten_choices_or_interactive_off_is_plain_text() -> None:
    eleven = tuple(Choice(str(n), str(n)) for n in range(1, 12))
    assert whatsapp_render.render(["Which?"], eleven, interactive=True).template is None
    plain = whatsapp_render.render(["Which?"], MENU, interactive=False)
    assert plain.parts == ("Which?",) and plain.template is None


def test_whatsapp_a_long_last_reply_stays_text_and_the_buttons_get_a_short_body() -> None:
    reply = whatsapp_render.render(["x" * 1500], MENU, interactive=True)
    assert [len(p) for p in reply.parts] == [1500]  # over an interactive body's 1,024
    assert reply.body == whatsapp_render.NO_BODY
    split = whatsapp_render.render(["x" * 2000], MENU, interactive=True)
    assert [len(p) for p in split.parts] == [1600] and len(split.body) == 400


def test_whatsapp_one_template_serves_every_reply_of_the_same_shape() -> None:
    a = whatsapp_render.render(["Found 3"], MENU, interactive=True).template
    b = whatsapp_render.render(["Found 9"], MENU[::-1], interactive=True).template
    other = whatsapp_render.render(["Found 9"], MENU[:2], interactive=True).template
    assert a is not None and b is not None and other is not None
    assert a == b != other
    assert (a.name, other.name) == ("codechat_quick_reply_3", "codechat_quick_reply_2")
    assert a.request()["friendly_name"] == a.name


def test_whatsapp_templates_carry_no_text_of_the_reply_or_its_choices() -> None:
    private = (
        Choice("Explain 3 (secret_billing.py)", "explain 3"),
        Choice("Search “my password is hunter2”", "search my password is hunter2"),
        *(Choice(f"Open internal/payroll_{n}.py", f"open {n}") for n in range(1, 5)),
    )
    for choices in (private[:2], private):
        reply = whatsapp_render.render(["In *payroll*: 4 results"], choices, interactive=True)
        assert reply.template is not None
        created = json.dumps(reply.template.request(), ensure_ascii=False)
        for secret in ("secret_billing", "hunter2", "payroll", "Explain", "Open", "explain"):
            assert secret not in created
        # they go with the one message, in its variables: the ids a tap sends back
        assert (reply.variables["3"], reply.variables["5"]) == (
            "explain 3",
            "search my password is hunter2",
        )


def test_console_prints_each_reply_with_continued_lines_indented() -> None:
    assert console_render.render(["a\nb", "c"], MENU, prefix="bot> ") == "bot> a\n     b\nbot> c"
