"""A word of English grammar that the code also defines names no code in a sentence."""

from __future__ import annotations

from bot.services import Services
from tests.engine.conftest import Say


async def test_not_in_a_sentence_keeps_the_command_though_jinja2_defines_not(
    say: Say, services: Services
) -> None:
    assert services.search.defines("not", "jinja2")  # the `Not` node of its syntax tree
    await say("hi")
    await say("jinja2")
    result = await say("i have a question, not a search")
    assert result.intent == "ask"
    assert result.state == "qa.ask"
    assert not any("Found" in reply for reply in result.replies)
