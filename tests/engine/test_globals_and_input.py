"""Global commands from any state, and messages that are empty, huge, odd or unknown."""

from __future__ import annotations

import pytest

from bot.flows.model import State
from bot.services import Services
from tests.engine.conftest import Say, joined

USER = "whatsapp:+15550001"


async def test_help_works_everywhere_and_is_specific_to_the_state(say: Say) -> None:
    await say("hi")
    at_menu = await say("help")
    assert at_menu.state == "greeting.menu"
    assert "*switch repo*" in joined(at_menu)
    await say("2")
    at_repo = await say("help")
    assert at_repo.state == "repo.choose"
    assert "number or the name of a repository" in joined(at_repo)


async def test_back_restores_the_previous_state_and_its_slots(say: Say, services: Services) -> None:
    for setup in ("hi", "2", "jinja2", "Environment"):
        await say(setup)
    await say("Template")  # a second search replaces the results
    back = await say("back")
    assert back.state == "search.results"
    assert "“Environment”" in joined(back)
    session = await services.store.load_session(USER)
    assert session is not None and session.slots["query"] == "Environment"


async def test_back_with_nothing_to_undo(say: Say) -> None:
    await say("hi")
    result = await say("back")
    assert "nothing to go back to" in joined(result)
    assert result.state == "greeting.menu"


async def test_start_over_forgets_everything(say: Say, services: Services) -> None:
    for setup in ("hi", "2", "jinja2", "Environment"):
        await say(setup)
    result = await say("start over")
    assert result.state == "greeting.menu"
    assert "Starting over." in joined(result)
    session = await services.store.load_session(USER)
    assert session is not None and "repo" not in session.slots and not session.back


async def test_cancel_and_menu_go_to_the_menu_keeping_the_repo(
    say: Say, services: Services
) -> None:
    for setup in ("hi", "2", "jinja2"):
        await say(setup)
    cancelled = await say("cancel")
    assert cancelled.state == "greeting.menu"
    assert "Okay, cancelled." in joined(cancelled)
    assert "Search code in *jinja2*" in joined(cancelled)
    assert (await say("menu")).state == "greeting.menu"


async def test_thanks_is_answered_without_moving(say: Say) -> None:
    await say("hi")
    result = await say("thank you")
    assert "You're welcome" in joined(result)
    assert result.state == "greeting.menu"


@pytest.mark.parametrize("text", ["", "   ", "\x00\x07\x1b", "\u200b"])
async def test_empty_messages_get_a_helpful_reply(say: Say, text: str) -> None:
    await say("hi")
    result = await say(text)
    assert "empty message" in joined(result)
    assert result.state == "greeting.menu"


async def test_a_ten_thousand_character_message_is_refused_politely(
    say: Say, services: Services
) -> None:
    await say("hi")
    result = await say("x" * 10_000)
    assert "10000 characters long" in joined(result)
    assert result.state == "greeting.menu"
    rows = await services.store.history(USER)
    assert rows[-1].message == "x" * 10_000  # stored in full: nothing is lost


@pytest.mark.parametrize("text", ["🔥🔥🔥", "日本語 のコード", "class Дерево", "مرحبا"])
async def test_emoji_and_other_scripts(say: Say, text: str) -> None:
    for setup in ("hi", "2", "jinja2"):
        await say(setup)
    result = await say(text)
    assert result.replies
    assert result.state in {"search.results", "search.no_results"}
    assert (await say("menu")).state == "greeting.menu"


async def test_control_characters_are_dropped_not_fatal(say: Say) -> None:
    for setup in ("hi", "2", "jinja2"):
        await say(setup)
    result = await say("Envir\x00onment\x1b")
    assert "“Environment”" in joined(result)
    result = await say("new search")
    result = await say("\x1b[1;31mFileSystem\x1b[0mLoader")  # pasted from a coloured terminal
    assert "“FileSystemLoader”" in joined(result)


async def test_a_full_width_question_mark_asks_a_question(say: Say) -> None:
    for setup in ("hi", "2", "jinja2"):
        await say(setup)
    result = await say("テンプレートはどこで読み込まれる？")  # "？", as Japanese keyboards type it
    assert result.state == "qa.answered"  # answered, as "...?" is, not listed as a search


async def test_unknown_text_in_every_waiting_state_gets_a_reply(services: Services) -> None:
    """Put a user in each state that waits for input, send gibberish, and check the bot answers
    and the conversation can still reach the menu."""
    compiled = services.flows.current
    waiting: list[State] = [s for s in compiled.flows.all_states() if s.waits_for_input]
    assert len(waiting) >= 8
    for number, state in enumerate(waiting):
        user = f"state-test:{number}"
        await services.engine.handle(_inbound(user, "hi"))
        for setup in ("2", "jinja2", "Environment", "open 1"):
            await services.engine.handle(_inbound(user, setup))
        session = await services.store.load_session(user)
        assert session is not None
        session.state = state.id
        await services.store.save_turn(session, [])
        result = await services.engine.handle(_inbound(user, "qwzx plugh"))
        assert result.replies, state.id
        assert compiled.state(result.state) is not None
        assert (await services.engine.handle(_inbound(user, "menu"))).state == "greeting.menu"


def _inbound(user: str, text: str):  # type: ignore[no-untyped-def]
    from bot.engine.turn import Inbound

    return Inbound(user_id=user, text=text)
