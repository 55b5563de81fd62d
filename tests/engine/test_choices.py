"""The choices a reply offers: declared on the state, rendered per turn, understood when tapped."""

from __future__ import annotations

from bot.engine.reply import Choice, numbered
from bot.services import Services
from tests.engine.conftest import Say, joined


async def test_the_menu_offers_its_three_options_and_a_tap_is_the_typed_number(say: Say) -> None:
    menu = await say("hi")
    assert menu.choices == (
        Choice("Search code", "1"),
        Choice("Switch repository", "2"),
        Choice("Ask a question", "3"),
    )
    assert numbered(menu.choices)
    tapped = await say(menu.choices[1].value)
    assert tapped.state == "repo.choose"


async def test_the_repository_list_offers_the_readable_repositories(say: Say) -> None:
    await say("hi")
    listing = await say("switch repo")
    assert [c.label for c in listing.choices] == ["codechat", "jinja2", "aiohttp"]
    assert [c.value for c in listing.choices] == ["1", "2", "3"]
    picked = await say(listing.choices[1].value)
    assert picked.state == "search.ask_query" and "*jinja2*" in joined(picked)


async def test_results_offer_open_for_each_shown_result_and_more(say: Say) -> None:
    await say("hi")
    await say("use jinja2")
    found = await say("Environment")
    assert found.state == "search.results"
    values = [c.value for c in found.choices]
    assert values == ["open 1", "open 2", "open 3", "open 4", "open 5", "more"]
    assert not numbered(found.choices)
    opened = await say("open 2")
    assert opened.state == "followup.snippet"
    assert [c.value for c in opened.choices] == ["explain 2", "back"]
    back = await say("back")
    assert back.state == "search.results" and back.choices[0].value == "open 1"


async def test_typed_answers_keep_working_beside_the_choices(say: Say) -> None:
    await say("hi")
    typed = await say("switch repo")
    assert typed.state == "repo.choose"
    named = await say("aiohttp")
    assert named.state == "search.ask_query" and "*aiohttp*" in joined(named)
    assert named.choices == ()  # a free-text prompt offers nothing to tap


async def test_a_clarifying_question_offers_the_command_and_the_search(
    say: Say, services: Services
) -> None:
    await say("hi")
    await say("use jinja2")
    asked = await say("reset")  # jinja2 defines `reset`: the command or the name?
    assert asked.intent == "clarify"
    assert asked.choices == (Choice("start over", "1"), Choice("Search “reset”", "2"))
    searched = await say(asked.choices[1].value)
    assert searched.state in ("search.results", "search.no_results")
    session = await services.store.load_session("whatsapp:+15550001")
    assert session is not None and session.slots.get("query") == "reset"
