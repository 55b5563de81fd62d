"""POST /slack/events and /slack/interactivity through the real app, the real slack-sdk client
and a local server speaking Slack's Web API; every request signed as Slack signs it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.direct import DIRECT_ONLY
from bot.errors import ConfigError
from bot.services import Services
from bot.web.production import check_production
from tests.channels.fake_slack import (
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    Posted,
    event_body,
    signature_headers,
)
from tests.channels.fake_twilio import FakeTwilio
from tests.web.conftest import ServerFactory, SlowSearch

Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]
USER = "U0ADA"
KEY = f"slack:{TEAM}:{USER}"


@pytest.fixture
async def fake_slack(aiohttp_server: ServerFactory) -> tuple[FakeSlack, str]:
    fake = FakeSlack()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/api/"))


@pytest.fixture
async def slack(
    start: Start, fake_slack: tuple[FakeSlack, str]
) -> tuple[TestClient[Any, Any], Services, FakeSlack]:
    fake, url = fake_slack
    client, services = await start(
        slack={"signing_secret": SIGNING_SECRET, "bot_token": fake.token, "api_base_url": url}
    )
    return client, services, fake


async def post_event(
    client: TestClient[Any, Any], body: str, *, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    sent = headers if headers is not None else signature_headers(body)
    async with client.post("/slack/events", data=body.encode(), headers=sent) as resp:
        return resp.status, await resp.text()


def dm(text: str, event_id: str, *, user: str = USER, **extra: Any) -> str:
    event = {"type": "message", "channel": "D0DM", "channel_type": "im", "user": user}
    return event_body(
        {**event, "text": text, "ts": f"{time.time():.6f}", **extra}, event_id=event_id
    )


def mention(text: str, event_id: str, *, ts: str = "1700000100.000200") -> str:
    event = {"type": "app_mention", "channel": "C0GENERAL", "user": USER, "ts": ts}
    return event_body({**event, "text": f"<@{BOT_USER}> {text}"}, event_id=event_id)


def tap(value: str, *, trigger: str, channel: str = "D0DM", thread: str | None = None) -> str:
    container: dict[str, Any] = {"type": "message", "channel_id": channel, "message_ts": "1.1"}
    if thread:
        container["thread_ts"] = thread
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": USER, "team_id": TEAM},
        "channel": {"id": channel},
        "container": container,
        "trigger_id": trigger,
        "actions": [{"type": "button", "action_id": "choice-2", "value": value}],
    }
    return urlencode({"payload": json.dumps(payload)})


async def replies(fake: FakeSlack, count: int) -> list[Posted]:
    for _ in range(400):
        if len(fake.posted) >= count:
            break
        await asyncio.sleep(0.01)
    return fake.posted


def said(post: Posted) -> str:
    return "\n".join(b["text"]["text"] for b in post.blocks if b["type"] == "section")


def buttons(post: Posted) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["value"])
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_url_verification_answers_the_challenge(slack: Any) -> None:
    client, _services, _fake = slack
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm", "token": "x"})
    status, text = await post_event(client, body)
    assert status == 200 and json.loads(text) == {"challenge": "3eZbrw1aBm"}


async def test_a_dm_is_answered_plainly_with_the_menu_as_buttons(slack: Any) -> None:
    client, services, fake = slack
    status, _ = await post_event(client, dm("hi", "Ev001"))
    assert status == 200
    (post,) = await replies(fake, 1)
    assert post.channel == "D0DM" and post.thread_ts is None
    assert "What would you like to do?" in said(post)
    assert buttons(post) == [
        ("Search code", "1"),
        ("Switch repository", "2"),
        ("Ask a question", "3"),
    ]
    session = await services.store.load_session(KEY)
    assert session is not None and session.state == "greeting.menu"


async def test_a_tapped_button_is_the_choice(slack: Any) -> None:
    client, services, fake = slack
    await post_event(client, dm("hi", "Ev010"))
    await replies(fake, 1)
    body = tap("3", trigger="trig.1")
    headers = signature_headers(body, content_type="application/x-www-form-urlencoded")
    async with client.post("/slack/interactivity", data=body, headers=headers) as resp:
        assert resp.status == 200
    post = (await replies(fake, 2))[1]
    assert "What would you like to know about *demo*?" in said(post)
    assert post.channel == "D0DM" and post.thread_ts is None
    session = await services.store.load_session(KEY)
    assert session is not None and session.state == "qa.ask"


async def dm_search(client: TestClient[Any, Any], fake: FakeSlack) -> None:
    """Ada searches demo in her DM: her results are listed there, with buttons to open them."""
    for n, text in enumerate(("hi", "switch repo", "1", "make_router")):
        await post_event(client, dm(text, f"EvS0{n}"))
        await replies(fake, n + 1)
    assert "app.py" in said(fake.posted[-1])


async def test_a_mention_in_a_channel_shows_no_code_and_asks_for_a_dm(slack: Any) -> None:
    client, services, fake = slack
    await dm_search(client, fake)
    before = await services.store.load_session(KEY)
    status, _ = await post_event(client, mention("open 1", "Ev020"))
    assert status == 200
    post = (await replies(fake, 5))[4]
    assert (post.channel, post.thread_ts) == ("C0GENERAL", "1700000100.000200")
    assert said(post) == DIRECT_ONLY and buttons(post) == []
    assert "make_router" not in said(post) and "app.py" not in said(post)
    assert await services.store.load_session(KEY) == before  # no turn ran
    rows = await services.store.history(KEY)
    assert (rows[-1].message, rows[-1].message_type) == ("open 1", "shared")
    await post_event(client, dm("open 1", "Ev021"))  # the DM still opens it, in the DM
    opened = (await replies(fake, 6))[5]
    assert opened.channel == "D0DM" and "def make_router():" in said(opened)


async def test_a_retried_mention_is_asked_once(slack: Any) -> None:
    client, _services, fake = slack
    body = mention("where is make_router", "Ev022")
    await post_event(client, body)
    headers = {**signature_headers(body), "X-Slack-Retry-Num": "1"}
    await post_event(client, body, headers=headers)
    await replies(fake, 2)
    await asyncio.sleep(0.2)
    assert [said(p) for p in fake.posted] == [DIRECT_ONLY]


async def test_a_button_tapped_in_a_channel_opens_nothing(slack: Any) -> None:
    client, services, fake = slack
    await dm_search(client, fake)
    before = await services.store.load_session(KEY)
    body = tap("open 1", trigger="trig.2", channel="C0GENERAL", thread="1700000200.000300")
    headers = signature_headers(body, content_type="application/x-www-form-urlencoded")
    async with client.post("/slack/interactivity", data=body, headers=headers) as resp:
        assert resp.status == 200
    post = (await replies(fake, 5))[4]
    assert (post.channel, post.thread_ts) == ("C0GENERAL", "1700000200.000300")
    assert said(post) == DIRECT_ONLY and "make_router" not in said(post)
    assert await services.store.load_session(KEY) == before


async def test_a_dm_with_a_file_is_answered(slack: Any) -> None:
    client, services, fake = slack
    await post_event(client, dm("hi", "Ev024"))
    await replies(fake, 1)
    files = [{"id": "F0SHOT", "name": "screenshot.png", "mimetype": "image/png"}]
    body = dm("", "Ev025", subtype="file_share", files=files)
    assert (await post_event(client, body))[0] == 200
    post = (await replies(fake, 2))[1]
    assert post.channel == "D0DM" and "I can only read text for now" in said(post)
    rows = await services.store.history(KEY)
    assert len(rows) == 2 and rows[-1].message_type == "empty"
    await post_event(client, dm("menu", "Ev026", subtype="thread_broadcast", thread_ts="1.1"))
    assert "What would you like to do?" in said((await replies(fake, 3))[2])


async def test_slack_retries_of_one_event_are_answered_once(slack: Any) -> None:
    client, _services, fake = slack
    body = dm("hi", "Ev030")
    assert (await post_event(client, body))[0] == 200
    for retry in ("1", "2"):
        headers = {**signature_headers(body), "X-Slack-Retry-Num": retry}
        headers["X-Slack-Retry-Reason"] = "http_timeout"
        assert (await post_event(client, body, headers=headers))[0] == 200
    await replies(fake, 2)
    await asyncio.sleep(0.2)
    assert len(fake.posted) == 1


async def test_a_retry_during_and_after_a_slow_turn_gets_no_second_answer(
    slack: Any, slow_search: SlowSearch
) -> None:
    client, services, fake = slack
    for n, text in enumerate(("hi", "switch repo", "1")):
        await post_event(client, dm(text, f"Ev03{n + 5}"))
        await replies(fake, n + 1)
    slow_search.delay = 0.5
    body = dm("make_router", "Ev039")
    assert (await post_event(client, body))[0] == 200
    for retry in ("1", "2"):  # the first while the search runs, the second after its reply
        headers = {**signature_headers(body), "X-Slack-Retry-Num": retry}
        assert (await post_event(client, body, headers=headers))[0] == 200
        await replies(fake, 4)
    await asyncio.sleep(0.3)
    assert len(fake.posted) == 4 and "app.py" in said(fake.posted[3])
    rows = await services.store.history(KEY)
    assert [r.message for r in rows].count("make_router") == 1


async def test_the_request_is_acknowledged_before_a_slow_turn_ends(
    slack: Any, slow_search: SlowSearch
) -> None:
    client, _services, fake = slack
    await post_event(client, dm("hi", "Ev040"))
    await post_event(client, dm("2", "Ev041"))
    await post_event(client, dm("1", "Ev042"))
    await replies(fake, 3)
    slow_search.delay = 1.0
    status, _ = await post_event(client, dm("handler_7", "Ev043"))
    assert status == 200 and len(fake.posted) == 3  # acknowledged; the reply is still to come
    post = (await replies(fake, 4))[3]
    assert "routes.py" in said(post)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda b: signature_headers(b, secret="not-the-secret"), id="wrong secret"),
        pytest.param(lambda b: signature_headers(b, timestamp=time.time() - 301), id="stale"),
        pytest.param(lambda b: signature_headers(b, timestamp=time.time() + 301), id="future"),
        pytest.param(lambda b: {"Content-Type": "application/json"}, id="unsigned"),
        pytest.param(
            lambda b: {**signature_headers(b), "X-Slack-Request-Timestamp": "soon"}, id="bad time"
        ),
        pytest.param(lambda b: signature_headers(b + " "), id="other body"),
    ],
)
async def test_forged_or_stale_signatures_get_401_and_change_nothing(
    slack: Any, forge: Callable[[str], dict[str, str]]
) -> None:
    client, services, fake = slack
    body = dm("hi", "Ev050")
    status, text = await post_event(client, body, headers=forge(body))
    assert status == 401 and "Slack signature" in text
    await asyncio.sleep(0.1)
    assert fake.requests == 0
    assert await services.store.load_session(KEY) is None
    assert await services.store.history(KEY) == []
    # The same event, properly signed, is still answered: the forgery claimed nothing.
    assert (await post_event(client, body))[0] == 200
    assert len(await replies(fake, 1)) == 1


async def test_a_forged_tap_gets_401(slack: Any) -> None:
    client, services, fake = slack
    body = tap("2", trigger="trig.9")
    headers = signature_headers(body, secret="x", content_type="application/x-www-form-urlencoded")
    async with client.post("/slack/interactivity", data=body, headers=headers) as resp:
        assert resp.status == 401
    assert fake.requests == 0 and await services.store.load_session(KEY) is None


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"bot_id": "B0BOT", "user": BOT_USER}, id="our own message"),
        pytest.param({"bot_id": "B0OTHER", "user": "U0OTHERBOT"}, id="another bot"),
        pytest.param({"user": BOT_USER}, id="our bot user without bot_id"),
        pytest.param({"subtype": "message_changed"}, id="an edit"),
        pytest.param({"channel_type": "channel"}, id="a channel message without a mention"),
    ],
)
async def test_bots_edits_and_unmentioned_messages_are_ignored(
    slack: Any, event: dict[str, Any]
) -> None:
    client, services, fake = slack
    base = {"type": "message", "channel": "D0DM", "channel_type": "im", "user": USER}
    body = event_body({**base, "text": "hi", "ts": "1.2", **event}, event_id="Ev060")
    assert (await post_event(client, body))[0] == 200
    await asyncio.sleep(0.2)
    assert fake.posted == []
    assert await services.store.history(KEY) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not JSON"),
        pytest.param("[1, 2]", id="not an object"),
        pytest.param(json.dumps({"type": "event_callback", "event_id": "Ev1"}), id="no event"),
        pytest.param(
            json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": "hi"}}),
            id="no team, user or id",
        ),
    ],
)
async def test_malformed_events_get_400(slack: Any, body: str) -> None:
    client, _services, fake = slack
    status, text = await post_event(client, body)
    assert status == 400 and text.startswith("Malformed request")
    assert fake.requests == 0


async def test_one_person_is_one_conversation_others_their_own(slack: Any) -> None:
    client, services, fake = slack
    await post_event(client, dm("hi", "Ev070"))
    await post_event(client, dm("hi", "Ev071", user="U0BEA", channel="D0BEA"))
    await replies(fake, 2)
    await post_event(client, dm("2", "Ev072"))
    await replies(fake, 3)
    ada = await services.store.load_session(KEY)
    bea = await services.store.load_session(f"slack:{TEAM}:U0BEA")
    assert ada is not None and bea is not None
    assert ada.state != "greeting.menu" and bea.state == "greeting.menu"


@pytest.mark.usefixtures("one_window")
async def test_the_rate_limit_tells_once_and_keeps_the_message(
    start: Start, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    client, services = await start(
        slack={"signing_secret": SIGNING_SECRET, "bot_token": fake.token, "api_base_url": url},
        limits={"rate_limit_per_minute": 2},
    )
    for n in range(4):
        await post_event(client, dm(f"hi {n}", f"Ev08{n}"))
    await replies(fake, 3)
    limited: list[str] = []
    for _ in range(500):  # the fourth event is handled after its acknowledgement: wait for it
        limited = [r.message_type for r in await services.store.history(KEY)]
        if limited.count("rate_limited") >= 2:
            break
        await asyncio.sleep(0.01)
    texts = [said(p) for p in fake.posted]
    assert sum("faster than I can keep up" in t for t in texts) == 1
    assert limited.count("rate_limited") == 2


@pytest.mark.usefixtures("one_window")
async def test_a_replayed_event_over_the_limit_gets_no_notice(
    start: Start, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    client, services = await start(
        slack={"signing_secret": SIGNING_SECRET, "bot_token": fake.token, "api_base_url": url},
        limits={"rate_limit_per_minute": 1},
    )
    body = dm("hi", "Ev085")
    headers = signature_headers(body)
    await post_event(client, body, headers=headers)
    await replies(fake, 1)
    await post_event(client, body, headers=headers)  # delivered again, answered already
    await asyncio.sleep(0.3)
    assert len(fake.posted) == 1 and "faster than I can" not in said(fake.posted[0])
    assert len(await services.store.history(KEY)) == 1


async def test_a_sender_not_on_the_list_is_refused_once(
    start: Start, fake_slack: tuple[FakeSlack, str]
) -> None:
    fake, url = fake_slack
    client, services = await start(
        slack={"signing_secret": SIGNING_SECRET, "bot_token": fake.token, "api_base_url": url},
        access={"mode": "allowlist", "users": [f"slack:{TEAM}:U0BEA"]},
    )
    await post_event(client, dm("hi", "Ev090"))
    await post_event(client, dm("hi again", "Ev091"))
    await replies(fake, 1)
    await asyncio.sleep(0.2)
    assert len(fake.posted) == 1 and "What would you like" not in said(fake.posted[0])
    assert await services.store.load_session(KEY) is None
    await post_event(client, dm("hi", "Ev092", user="U0BEA"))
    assert "What would you like to do?" in said((await replies(fake, 2))[1])


async def test_slack_refusing_a_reply_loses_nothing_else(slack: Any) -> None:
    client, services, fake = slack
    fake.plan = ["channel_not_found"]
    await post_event(client, dm("hi", "Ev100"))
    for _ in range(100):
        if fake.requests:
            break
        await asyncio.sleep(0.01)
    await post_event(client, dm("2", "Ev101"))
    (post,) = await replies(fake, 1)
    assert "*demo* is the only repository here" in said(post)
    session = await services.store.load_session(KEY)
    assert session is not None and session.state != "greeting.menu"


async def test_a_429_from_slack_is_retried_after_its_retry_after(slack: Any) -> None:
    client, _services, fake = slack
    fake.plan = [429]
    await post_event(client, dm("hi", "Ev110"))
    (post,) = await replies(fake, 1)
    assert "What would you like to do?" in said(post) and fake.requests == 2


async def test_without_slack_settings_the_routes_say_so(start: Start) -> None:
    client, _services = await start()
    body = dm("hi", "Ev120")
    status, text = await post_event(client, body)
    assert status == 404 and "SLACK_SIGNING_SECRET" in text


@pytest.mark.parametrize(
    ("slack", "missing"),
    [
        ({"signing_secret": SIGNING_SECRET}, "SLACK_BOT_TOKEN"),
        ({"bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_production_refuses_half_a_slack_configuration(
    make_settings: Callable[..., Any], slack: dict[str, str], missing: str
) -> None:
    settings = make_settings(env="production", slack=slack)
    with pytest.raises(ConfigError) as refused:
        check_production(settings)
    assert missing in str(refused.value)
    check_production(make_settings(env="production"))  # neither: Slack is simply off


TIMEOUT_FLOW = """
flow: main
states:
  waiting:
    say: "Tell me when you are ready."
    timeout: {after: 1s, to: nudged}
    on:
      - {otherwise: waiting}
  nudged:
    say: "Still there?"
    on:
      - {otherwise: waiting}
"""


async def test_a_slack_users_state_timeout_moves_them_on_and_sends_nothing_to_twilio(
    start: Start,
    fake_slack: tuple[FakeSlack, str],
    fake_twilio: tuple[FakeTwilio, str],
    tmp_path: Path,
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(TIMEOUT_FLOW, encoding="utf-8")
    fake, url = fake_slack
    client, services = await start(
        slack={"signing_secret": SIGNING_SECRET, "bot_token": fake.token, "api_base_url": url},
        flows={"dir": str(flows)},
        sessions={"sweep_seconds": 0.05},
    )
    await post_event(client, dm("hello", "Ev130"))
    (post,) = await replies(fake, 1)
    assert "Tell me when you are ready." in said(post)
    for _ in range(100):
        session = await services.store.load_session(KEY)
        if session is not None and session.state == "main.nudged":
            break
        await asyncio.sleep(0.05)
    assert session is not None and session.state == "main.nudged"
    assert fake_twilio[0].requests == 0  # a Slack id is never sent to as a phone number
