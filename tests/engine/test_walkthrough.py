"""A whole conversation through the shipped flows, as a WhatsApp user would have it."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.engine.conftest import Say, joined


async def test_greeting_shows_a_short_menu(say: Say) -> None:
    result = await say("hello")
    text = joined(result)
    assert "Hi" in text
    assert "Search code" in text and "Switch repository (3 available)" in text
    assert result.state == "greeting.menu"


async def test_full_conversation_search_page_open_back(say: Say, services: Services) -> None:
    await say("hi")
    repos = joined(await say("switch repo"))
    assert "1.* codechat" in repos and "2.* jinja2" in repos and "3.* aiohttp" in repos

    asked = await say("jnja2")
    assert asked.state == "search.ask_query"
    assert "What should I look for in *jinja2*" in joined(asked)

    found = await say("Environment")
    listing = joined(found)
    assert found.state == "search.results"
    assert "Found 20+ matches for “Environment” in *jinja2*; 1-5 shown:" in listing
    assert "here are the first" not in listing  # the page says how many it shows: five
    assert "*1.*" in listing and "*5.*" in listing and "*6.*" not in listing
    assert "environment.py" in listing
    assert "*more*" in listing

    page2 = joined(await say("more"))
    assert page2.startswith("6-10 of 20+ for “Environment”:")
    assert "*6.*" in page2 and "*10.*" in page2 and "*1.*" not in page2

    opened = await say("open 2")
    code = joined(opened)
    assert opened.state == "followup.snippet"
    second = await services.store.load_session("whatsapp:+15550001")
    assert second is not None
    hit = second.slots["results"][1]
    assert f"*{hit['path']}:{hit['line']}*" in code
    assert "```" in code and f"{hit['line']}>" in code.replace(" ", "")

    back = await say("back")
    assert back.state == "search.results"
    assert joined(back).startswith("6-10 of 20+ for “Environment”:")

    again = await say("new search")
    assert again.state == "search.ask_query"


async def test_results_are_real_and_come_from_the_selected_repo(
    say: Say, services: Services
) -> None:
    for text in ("hi", "2", "aiohttp", "class ClientSession"):
        result = await say(text)
    session = await services.store.load_session("whatsapp:+15550001")
    assert session is not None and session.slots["repo"] == "aiohttp"
    results = session.slots["results"]
    assert results, joined(result)
    assert all(r["repo"] == "aiohttp" for r in results)
    root = services.settings.repo("aiohttp").root(services.settings.base_dir)  # type: ignore[union-attr]
    first = results[0]
    line = (root / first["path"]).read_text().splitlines()[first["line"] - 1]
    assert "ClientSession" in line


@pytest.mark.parametrize("choice", ["jinja", "jnja2", "2", "Jinja2", "#2"])
async def test_repo_by_number_or_misspelt_name(say: Say, services: Services, choice: str) -> None:
    await say("hi")
    await say("switch repo")
    result = await say(choice)
    assert result.state == "search.ask_query"
    session = await services.store.load_session("whatsapp:+15550001")
    assert session is not None and session.slots["repo"] == "jinja2"


async def test_unknown_repo_and_number_get_a_clear_answer(say: Say) -> None:
    await say("hi")
    await say("switch repo")
    missing = await say("99")
    assert "There is no repository number 99" in joined(missing)
    assert missing.state == "repo.not_found"
    unknown = await say("zzqxv")
    assert "don't know a repository called “zzqxv”" in joined(unknown)
    picked = await say("1")
    assert picked.state == "search.ask_query"


async def test_typing_a_query_at_the_menu_searches_after_choosing_a_repo(say: Say) -> None:
    await say("hi")
    chooser = await say("Template")
    assert chooser.state == "repo.choose"
    result = await say("jinja2")
    assert result.state == "search.results"
    assert "for “Template” in *jinja2*" in joined(result)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("serch", "search.ask_query"),
        ("swich repo", "repo.choose"),
        ("shwo more", "search.results"),
        ("moer", "search.results"),
        ("opne 3", "followup.snippet"),
        ("hepl", "search.results"),
        ("3", "followup.snippet"),
    ],
)
async def test_typos_and_variants_of_commands(say: Say, text: str, state: str) -> None:
    for setup in ("hi", "2", "jinja2", "Environment"):
        await say(setup)
    result = await say(text)
    assert result.state == state, result.trace


async def test_no_results_and_bad_regex_keep_the_conversation_going(say: Say) -> None:
    for setup in ("hi", "2", "jinja2"):
        await say(setup)
    nothing = await say("zxqvbnmlkjhg_nothing_like_this")
    assert "No matches" in joined(nothing)
    bad = await say("/def (unclosed/")
    assert bad.state == "search.failed"
    assert "⚠️" in joined(bad)
    recovered = await say("Environment")
    assert recovered.state == "search.results"


async def test_open_out_of_range_says_which_numbers_exist(say: Say) -> None:
    for setup in ("hi", "2", "jinja2", "Environment"):
        await say(setup)
    result = await say("open 999")
    assert result.state == "followup.open_failed"
    assert "There is no result 999; pick one from 1 to" in joined(result)


async def test_more_past_the_end_says_so(say: Say) -> None:
    for setup in ("hi", "2", "jinja2", "/def select_template/"):
        await say(setup)
    result = await say("more")
    assert result.state == "followup.no_more"
    assert "That's all" in joined(result)
