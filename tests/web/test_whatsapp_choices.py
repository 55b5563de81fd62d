"""WhatsApp interactive messages: choices as quick replies or list pickers through the real
twilio client and a local stand-in for the Messages and Content APIs; taps understood."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.twilio import EMPTY_TWIML
from bot.config import Settings
from bot.services import Services
from bot.web.app import create_app
from tests.channels.fake_twilio import FakeTwilio, SentMessage
from tests.web.conftest import SlowSearch, inbound, post_signed, ready

Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]
SENDER = "whatsapp:+15551230077"


async def sent(fake: FakeTwilio, count: int) -> list[SentMessage]:
    for _ in range(300):
        if len(fake.sent) >= count:
            break
        await asyncio.sleep(0.01)
    return fake.sent


async def test_the_menu_is_sent_as_quick_reply_buttons_after_the_welcome(
    start: Start, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake = fake_twilio[0]
    client, _services = await start(twilio={"interactive": True})
    status, body = await post_signed(client, "/webhook", inbound("SMi1", "hi", SENDER))
    assert status == 200 and body == EMPTY_TWIML
    welcome, menu = await sent(fake, 2)
    assert "I help you find your way around code" in welcome.body and not welcome.content_sid
    assert menu.body == "" and menu.content_sid in fake.contents
    assert "What would you like to do?" in json.loads(menu.content_variables)["1"]
    shown = menu.content["twilio/quick-reply"]  # the template as Twilio fills it
    assert "What would you like to do?" in shown["body"]
    assert [(a["title"], a["id"]) for a in shown["actions"]] == [
        ("Search code", "1"),
        ("Switch repository", "2"),
        ("Ask a question", "3"),
    ]
    (template,) = fake.contents.values()
    assert template["friendly_name"] == "codechat_quick_reply_3"


async def test_a_tapped_button_is_the_choice_and_a_template_is_created_once(
    start: Start, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake = fake_twilio[0]
    client, services = await start(twilio={"interactive": True})
    await post_signed(client, "/webhook", inbound("SMi2", "hi", SENDER))
    await sent(fake, 2)
    tapped = {**inbound("SMi3", "Ask a question", SENDER), "ButtonPayload": "3"}
    tapped["ButtonText"] = "Ask a question"
    await post_signed(client, "/webhook", tapped)
    session = await services.store.load_session("+15551230077")
    assert session is not None and session.state == "qa.ask"
    await post_signed(client, "/webhook", inbound("SMi4", "menu", SENDER))
    await sent(fake, 4)
    menus = [m for m in fake.sent if m.content_sid]
    assert len(menus) == 2 and menus[0].content_sid == menus[1].content_sid
    assert len(fake.contents) == 1


def texts(value: Any) -> list[str]:
    """Every string in a JSON value, keys aside."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return [value] if isinstance(value, str) else []


async def test_templates_hold_no_typed_text_nor_file_name_and_list_taps_still_work(
    start: Start, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake = fake_twilio[0]
    client, services = await start(twilio={"interactive": True})
    await ready(client, SENDER, prefix="SMt")
    typed = "/def handler_/"  # what the user searches for: theirs alone
    await post_signed(client, "/webhook", inbound("SMt1", typed, SENDER))
    for _ in range(300):
        if fake.sent and "twilio/list-picker" in fake.sent[-1].content:
            break
        await asyncio.sleep(0.01)
    picker = fake.sent[-1]
    items = picker.content["twilio/list-picker"]["items"]
    assert (
        items[0]["id"] == "open 1" and "handler_1" in picker.content["twilio/list-picker"]["body"]
    )
    tapped = {**inbound("SMt2", items[0]["item"], SENDER), "ListId": items[0]["id"]}
    tapped["ListTitle"] = items[0]["item"]
    before = len(fake.sent)
    await post_signed(client, "/webhook", tapped)
    opened = await sent(fake, before + 1)
    assert any("routes.py" in m.body or "routes.py" in m.content_variables for m in opened[before:])
    session = await services.store.load_session("+15551230077")
    assert session is not None and session.state == "followup.snippet"
    assert fake.contents  # quick replies and a list picker were created
    for template in fake.contents.values():
        created = json.dumps(template, ensure_ascii=False)
        for private in (typed, "routes.py", "demo", "Open 1", "open 1", "Search code"):
            assert private not in created
        leaves = texts(template["types"])
        assert all(t in ("", "Choose") or re.fullmatch(r"\{\{\d+\}\}", t) for t in leaves)
    names = sorted(t["friendly_name"] for t in fake.contents.values())
    assert len(names) == len(set(names))  # one per shape


async def test_without_a_content_api_the_choices_go_as_plain_text(
    start: Start, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake = fake_twilio[0]
    fake.refuse_content = True
    client, _services = await start(twilio={"interactive": True})
    await post_signed(client, "/webhook", inbound("SMi5", "hi", SENDER))
    _welcome, menu = await sent(fake, 2)
    assert not menu.content_sid and "*1.* Search code" in menu.body


async def test_interactive_off_answers_in_twiml_as_before(
    start: Start, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    client, _services = await start()
    status, body = await post_signed(client, "/webhook", inbound("SMi6", "hi", SENDER))
    assert status == 200 and "*1.* Search code" in body
    await asyncio.sleep(0.1)
    assert fake_twilio[0].sent == [] and fake_twilio[0].content_requests == 0


def kept(db: Path, sid: str) -> bool:
    """Whether the message is kept for recovery (its reply not known to be out)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT pending IS NOT NULL FROM inbound_messages WHERE message_sid = ?", (sid,)
        ).fetchone()
    return bool(row and row[0])


async def test_an_interactive_reply_is_kept_until_twilio_has_taken_it(
    start: Start, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake = fake_twilio[0]
    fake.plan = [0.8]  # Twilio is slow to take the first message
    client, _services = await start(twilio={"interactive": True})
    status, body = await post_signed(client, "/webhook", inbound("SMk1", "hi", SENDER))
    assert (status, body) == (200, EMPTY_TWIML)
    assert fake.sent == [] and kept(tmp_path / "bot.db", "SMk1")
    await sent(fake, 2)
    for _ in range(100):
        if not kept(tmp_path / "bot.db", "SMk1"):
            break
        await asyncio.sleep(0.02)
    assert not kept(tmp_path / "bot.db", "SMk1")


async def test_a_reply_answered_in_twiml_is_not_left_kept(
    start: Start, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake = fake_twilio[0]
    client, _services = await start(twilio={"interactive": True})
    await post_signed(client, "/webhook", inbound("SMk3", "hi", SENDER))
    await sent(fake, 2)
    status, body = await post_signed(client, "/webhook", inbound("SMk4", "search code", SENDER))
    assert status == 200 and "<Message>" in body  # no choices: answered in the response
    assert not kept(tmp_path / "bot.db", "SMk4")


async def test_an_interactive_reply_lost_in_a_crash_is_sent_once_at_the_next_start(
    make_settings: Callable[..., Settings],
    slow_search: SlowSearch,
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake = fake_twilio[0]
    settings = make_settings(
        twilio={"interactive": True},
        limits={"outbound_timeout_seconds": 30},
        storage={"reclaim_after_seconds": 0.5},
        server={"shutdown_grace_seconds": 1},
    )
    fake.hang = True  # the process dies before Twilio takes the reply
    services = await Services.create(settings, actions=slow_search, watch_flows=False)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    try:
        status, body = await post_signed(client, "/webhook", inbound("SMk2", "hi", SENDER))
        assert (status, body) == (200, EMPTY_TWIML)
    finally:
        await client.close()  # the delivery is cut short: its reply never went out
        await services.close()
    assert fake.sent == []
    fake.hang = False
    services = await Services.create(settings, actions=slow_search, watch_flows=False)
    client = TestClient(TestServer(create_app(settings, services=services)))
    await client.start_server()
    try:
        await sent(fake, 1)
        await asyncio.sleep(1.2)  # more recovery rounds: nothing is sent twice
        rows = await services.store.history("+15551230077", limit=10)
    finally:
        await client.close()
        await services.close()
    welcomes = [m for m in fake.sent if "I help you find your way around code" in m.body]
    assert len(welcomes) == 1 and welcomes[0].to == SENDER
    assert [r.message_sid for r in rows].count("SMk2") == 1  # the turn was not run again
