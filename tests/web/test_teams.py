"""POST /teams/messages through the running app, against local Microsoft servers: Bot
Framework's OpenID configuration and keys, Entra's token endpoint and the Bot Connector."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.direct import DIRECT_ONLY
from bot.errors import ConfigError
from bot.services import Services
from bot.web.production import check_production
from tests.channels.fake_teams import (
    APP_ID,
    APP_PASSWORD,
    TENANT,
    FakeMicrosoft,
    SigningKey,
    activity,
)
from tests.channels.fake_twilio import FakeTwilio
from tests.web.conftest import SlowSearch, inbound, post_signed
from tests.web.test_timeouts import FLOW as TIMEOUT_FLOW

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]
ADA = "6c3b1a32-4c4a-4b8e-9d1e-1f0c2b3a4d5e"
ADA_KEY = f"teams:{TENANT}:{ADA}"


@pytest.fixture
async def microsoft(aiohttp_server: ServerFactory) -> FakeMicrosoft:
    fake = FakeMicrosoft()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


def teams_settings(microsoft: FakeMicrosoft) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "app_password": APP_PASSWORD,
        "openid_metadata_url": microsoft.openid_url,
        "token_url": microsoft.token_url,
    }


@pytest.fixture
async def app(start: Start, microsoft: FakeMicrosoft) -> tuple[TestClient[Any, Any], Services]:
    return await start(teams=teams_settings(microsoft), limits={"rate_limit_per_minute": 100})


async def post(
    client: TestClient[Any, Any], body: dict[str, Any] | bytes, token: str | None
) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with client.post("/teams/messages", data=data, headers=headers) as response:
        return response.status, await response.text()


class Teams:
    """One person writing to the bot in Teams; what the connector received for them."""

    def __init__(self, client: TestClient[Any, Any], microsoft: FakeMicrosoft, **who: Any):
        self.client = client
        self.microsoft = microsoft
        self.who = who

    async def say(self, text: str = "", **extra: Any) -> list[dict[str, Any]]:
        before = len(self.microsoft.posted)
        body = activity(text, service_url=self.microsoft.service_url, **self.who, **extra)
        status, answer = await post(self.client, body, self.microsoft.token())
        assert status == 200, answer
        return [p.activity for p in self.microsoft.posted[before:]]


def texts(activities: list[dict[str, Any]]) -> str:
    return "\n".join(a.get("text", "") for a in activities)


async def test_a_teams_user_is_answered_through_the_connector(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    replies = await Teams(client, microsoft).say("hi")
    assert "**1.** Search code" in texts(replies)
    reply = replies[-1]
    assert reply["textFormat"] == "markdown"
    assert reply["recipient"]["id"] == "29:1abcUserId"
    assert reply["from"]["id"] == f"28:{APP_ID}"
    posted = microsoft.posted[-1]
    assert posted.conversation_id == "a:1Xo2pQ-personal-chat"
    assert posted.authorization.removeprefix("Bearer ") in microsoft.issued
    rows = await services.store.history(ADA_KEY)
    assert [r.message for r in rows] == ["hi"]
    assert (await services.store.load_session(ADA_KEY)) is not None


async def test_a_conversation_searches_and_opens_code(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, _services = app
    ada = Teams(client, microsoft)
    await ada.say("hi")
    await ada.say("switch repo")
    await ada.say("1")
    found = texts(await ada.say("make_router"))
    assert "app.py" in found
    opened = texts(await ada.say("open 1"))
    assert "```" in opened and "def make_router():" in opened
    assert len(microsoft.token_requests) == 1  # one connector token for the whole chat


@pytest.mark.parametrize("kind", ["channel", "groupChat"])
async def test_in_a_shared_conversation_no_code_is_shown_and_a_chat_is_asked_for(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft, kind: str
) -> None:
    client, services = app
    ada = Teams(client, microsoft)
    for text in ("hi", "switch repo", "1"):
        await ada.say(text)
    assert "app.py" in texts(await ada.say("make_router"))
    before = await services.store.load_session(ADA_KEY)
    shared = {"conversation_id": "19:general@thread.tacv2", "conversation_type": kind}
    said = await ada.say("open 1", activity_id="1700000000050", **shared)
    assert texts(said) == DIRECT_ONLY and "make_router" not in json.dumps(said)
    assert microsoft.posted[-1].conversation_id == "19:general@thread.tacv2"
    tapped = await ada.say(value={"choice": "open 1"}, **shared)
    assert texts(tapped) == DIRECT_ONLY and "make_router" not in json.dumps(tapped)
    assert await ada.say("open 1", activity_id="1700000000050", **shared) == []  # resent
    assert await services.store.load_session(ADA_KEY) == before  # no turn ran
    assert "def make_router():" in texts(await ada.say("open 1"))  # the personal chat opens it


async def test_a_card_submit_is_understood_as_its_value(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    ada = Teams(client, microsoft)
    await ada.say("hi")
    typed_path = texts(await Teams(client, microsoft, aad_object_id=ADA[:-1] + "f").say("hi"))
    tapped = texts(await ada.say(value={"choice": "2"}))
    typed = texts(await Teams(client, microsoft, aad_object_id=ADA[:-1] + "f").say("2"))
    assert tapped == typed and tapped != typed_path
    rows = await services.store.history(ADA_KEY)
    assert [r.message for r in rows] == ["hi", "2"]


async def test_a_retried_activity_is_answered_once(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    ada = Teams(client, microsoft)
    first = await ada.say("hi", activity_id="1700000000001")
    again = await ada.say("hi", activity_id="1700000000001")
    assert first and again == []
    assert len(await services.store.history(ADA_KEY)) == 1
    # The same id in another conversation is another message.
    other = await ada.say("hi", activity_id="1700000000001", conversation_id="a:other")
    assert other


async def test_an_activity_resent_while_its_turn_runs_is_answered_once(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft, slow_search: SlowSearch
) -> None:
    client, services = app
    ada = Teams(client, microsoft)
    for text in ("hi", "switch repo", "1"):
        await ada.say(text)
    slow_search.delay = 0.5
    await asyncio.gather(
        ada.say("make_router", activity_id="1700000000060"),
        ada.say("make_router", activity_id="1700000000060"),
    )
    searched = [p.activity for p in microsoft.posted if "app.py" in p.activity.get("text", "")]
    assert len(searched) == 1
    rows = await services.store.history(ADA_KEY)
    assert [r.message for r in rows].count("make_router") == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda ms: ms.token(key=SigningKey.make(kid=ms.keys[0].kid)),
        lambda ms: ms.token(issued_ago=4000, lifetime=3600),
        lambda ms: ms.token(audience="11111111-2222-4333-8444-555555555555"),
        lambda ms: ms.token(issuer="https://sts.windows.net/evil/"),
        lambda ms: ms.token(key=SigningKey.make()),
        lambda ms: ms.token(service_url="https://attacker.example/"),
        lambda ms: None,
    ],
    ids=["forged", "expired", "wrong-audience", "wrong-issuer", "unknown-kid", "other", "none"],
)
async def test_a_request_without_a_valid_token_gets_401_and_changes_nothing(
    app: tuple[TestClient[Any, Any], Services],
    microsoft: FakeMicrosoft,
    make: Callable[[FakeMicrosoft], str | None],
) -> None:
    client, services = app
    body = activity("hi", service_url=microsoft.service_url)
    status, _ = await post(client, body, make(microsoft))
    assert status == 401
    assert microsoft.posted == [] and microsoft.token_requests == []
    assert await services.store.history(ADA_KEY) == []
    assert await services.store.load_session(ADA_KEY) is None
    # The same activity with a good token is new: the refused one claimed nothing.
    status, _ = await post(client, body, microsoft.token())
    assert status == 200 and microsoft.posted


async def test_one_person_on_teams_and_whatsapp_is_two_conversations(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    ada = Teams(client, microsoft)
    await ada.say("hi")
    await ada.say("switch repo")
    status, _ = await post_signed(client, "/webhook", inbound("SMteams1", "hi"))
    assert status == 200
    teams_session = await services.store.load_session(ADA_KEY)
    whatsapp_session = await services.store.load_session("+15551230001")
    assert teams_session is not None and whatsapp_session is not None
    assert teams_session.state != whatsapp_session.state
    assert [r.message for r in await services.store.history(ADA_KEY)] == ["hi", "switch repo"]
    assert [r.message for r in await services.store.history("+15551230001")] == ["hi"]


async def test_access_rules_use_the_teams_identity(start: Start, microsoft: FakeMicrosoft) -> None:
    access = {"mode": "allowlist", "users": [ADA_KEY], "refusal": "Private bot, sorry."}
    client, services = await start(teams=teams_settings(microsoft), access=access)
    assert "Search code" in texts(await Teams(client, microsoft).say("hi"))
    stranger = Teams(client, microsoft, aad_object_id="99999999-4c4a-4b8e-9d1e-1f0c2b3a4d5e")
    assert texts(await stranger.say("hi")) == "Private bot, sorry."
    assert await stranger.say("hello?") == []  # told once per interval
    # Ada's object id in another tenant is another person.
    elsewhere = Teams(client, microsoft, tenant="0b0b0b0b-86f1-41af-91ab-2d7cd011db47")
    assert texts(await elsewhere.say("hi")) == "Private bot, sorry."
    assert len(await services.store.history(ADA_KEY)) == 1


async def test_a_teams_id_listed_in_capitals_lets_its_owner_in(
    start: Start, microsoft: FakeMicrosoft
) -> None:
    listed = f"Teams:{TENANT.upper()}:{ADA.upper()}"  # as the Entra admin centre shows GUIDs
    access = {"mode": "allowlist", "users": [listed], "refusal": "Private bot, sorry."}
    client, _services = await start(teams=teams_settings(microsoft), access=access)
    assert "Search code" in texts(await Teams(client, microsoft).say("hi"))
    # and an activity that spells Ada's ids in capitals is Ada too
    shouting = Teams(client, microsoft, tenant=TENANT.upper(), aad_object_id=ADA.upper())
    assert "Private bot" not in texts(await shouting.say("help"))


@pytest.mark.usefixtures("one_window")
async def test_the_rate_limit_counts_per_teams_user(start: Start, microsoft: FakeMicrosoft) -> None:
    client, services = await start(
        teams=teams_settings(microsoft), limits={"rate_limit_per_minute": 2}
    )
    ada = Teams(client, microsoft)
    await ada.say("hi")
    await ada.say("help")
    limited = texts(await ada.say("menu"))
    assert "faster than I can keep up with (2 a minute)" in limited
    other = Teams(client, microsoft, aad_object_id="99999999-4c4a-4b8e-9d1e-1f0c2b3a4d5e")
    assert "Search code" in texts(await other.say("hi"))
    rows = await services.store.history(ADA_KEY)
    assert [r.message_type for r in rows][-1] == "rate_limited"


@pytest.mark.usefixtures("one_window")
async def test_a_resent_activity_over_the_limit_gets_no_notice(
    start: Start, microsoft: FakeMicrosoft
) -> None:
    client, services = await start(
        teams=teams_settings(microsoft), limits={"rate_limit_per_minute": 1}
    )
    ada = Teams(client, microsoft)
    assert "Search code" in texts(await ada.say("hi", activity_id="1700000000007"))
    assert await ada.say("hi", activity_id="1700000000007") == []  # answered already
    assert [r.message_type for r in await services.store.history(ADA_KEY)] == ["text"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        ({"channelId": "webchat"}, "not Microsoft Teams"),
        ({"channelData": {}, "conversation": {"id": "a:1"}}, "tenant and aadObjectId"),
        ({"value": {"choice": 3}}, "choice must be a short text"),
    ],
    ids=["not-json", "not-object", "other-channel", "no-tenant", "bad-choice"],
)
async def test_a_malformed_activity_gets_a_clear_400(
    app: tuple[TestClient[Any, Any], Services],
    microsoft: FakeMicrosoft,
    body: bytes | dict[str, Any],
    reason: str,
) -> None:
    client, services = app
    if isinstance(body, dict):
        base = activity("hi", service_url=microsoft.service_url)
        body = {**base, **body}
        if "value" in body:
            body.pop("text")
    status, text = await post(client, body, microsoft.token())
    assert status == 400 and reason in text
    assert microsoft.posted == []
    assert await services.store.history(ADA_KEY) == []


async def test_activities_that_ask_nothing_are_acknowledged_silently(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    body = activity(kind="conversationUpdate", service_url=microsoft.service_url)
    status, _ = await post(client, body, microsoft.token())
    assert status == 200 and microsoft.posted == []
    assert await services.store.history(ADA_KEY) == []


async def test_a_body_too_large_is_refused(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, _ = app
    body = activity("x" * 70_000, service_url=microsoft.service_url)
    status, _ = await post(client, body, microsoft.token())
    assert status == 413 and microsoft.posted == []


async def test_without_an_app_id_the_route_says_it_is_not_configured(start: Start) -> None:
    client, _ = await start()
    status, text = await post(client, {"type": "message"}, "anything")
    assert status == 503 and "TEAMS_APP_ID" in text


async def test_a_connector_failure_keeps_the_turn_and_answers_200(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    microsoft.connector_status = 503
    body = activity("hi", service_url=microsoft.service_url)
    status, _ = await post(client, body, microsoft.token())
    assert status == 200  # a retry would be a duplicate: the turn is saved
    assert [r.message for r in await services.store.history(ADA_KEY)] == ["hi"]


# The shipped flows' replies as the Bot Connector receives them: every activity of one
# conversation. After a deliberate change of the flows or of the rendering, run
# UPDATE_SNAPSHOTS=1 pytest tests/web/test_teams.py -k shipped, and read the diff.
SNAPSHOT = Path(__file__).parent / "snapshots" / "teams_conversation.json"
SCRIPT: list[str | dict[str, str]] = [
    "hi",
    "help",
    "switch repo",
    "1",
    "/def handler_[0-9]+/",
    "more",
    "open 2",
    "explain 2",
    "back",
    "menu",
    {"choice": "1"},
    "bye",
]


def _stable(activity: dict[str, Any]) -> dict[str, Any]:
    shown = dict(activity)
    shown.pop("replyToId", None)
    return shown


async def test_the_shipped_flows_rendered_for_teams(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, services = app
    await asyncio.wait_for(services.search.wait_ready(), 60)  # no "still indexing" note
    ada = Teams(client, microsoft)
    transcript = []
    for said in SCRIPT:
        if isinstance(said, dict):
            replies = await ada.say(value=said)
        else:
            replies = await ada.say(said)
        transcript.append({"user": said, "bot": [_stable(a) for a in replies]})
    got = json.dumps(transcript, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(got)
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert got == SNAPSHOT.read_text()


async def test_a_teams_users_timeout_is_never_handed_to_twilio(
    start: Start, microsoft: FakeMicrosoft, tmp_path: Path, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(TIMEOUT_FLOW, encoding="utf-8")
    client, services = await start(
        teams=teams_settings(microsoft),
        flows={"dir": str(flows)},
        sessions={"sweep_seconds": 0.05},
    )
    assert "Tell me when you are ready." in texts(await Teams(client, microsoft).say("hello"))
    for _ in range(100):  # the timeout is 1 s; the sweep looks every 50 ms
        session = await services.store.load_session(ADA_KEY)
        if session is not None and session.timeout_at is None:
            break
        await asyncio.sleep(0.05)
    assert session is not None and session.state == "main.nudged"
    assert fake_twilio[0].sent == []


async def test_a_connector_token_refused_before_it_expires_is_renewed_once(
    app: tuple[TestClient[Any, Any], Services], microsoft: FakeMicrosoft
) -> None:
    client, _ = app
    ada = Teams(client, microsoft)
    assert await ada.say("hi")
    microsoft.issued.clear()  # revoked on Microsoft's side
    assert "Any time" in texts(await ada.say("help"))
    assert len(microsoft.token_requests) == 2


@pytest.mark.parametrize(
    ("teams", "missing"),
    [({"app_id": APP_ID}, "TEAMS_APP_PASSWORD"), ({"app_password": "s3cret"}, "TEAMS_APP_ID")],
)
def test_production_refuses_half_a_teams_configuration(
    make_settings: Callable[..., Any], teams: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        check_production(make_settings(env="production", teams=teams))
    assert missing in str(refused.value)
    both = {"app_id": APP_ID, "app_password": APP_PASSWORD}
    check_production(make_settings(env="production", teams=both))


@pytest.mark.parametrize(
    ("section", "setting", "value"),
    [
        ("teams", "openid_metadata_url", "http://127.0.0.1:9/openid"),
        ("teams", "issuer", "https://sts.windows.net/evil/"),
        ("teams", "token_url", "https://tokens.example/token"),
        ("slack", "api_base_url", "http://127.0.0.1:9/api/"),
    ],
)
def test_production_refuses_to_trust_or_send_tokens_to_another_address(
    make_settings: Callable[..., Any], section: str, setting: str, value: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        check_production(make_settings(env="production", **{section: {setting: value}}))
    assert f"{section}.{setting}" in str(refused.value) and "BOT_ENV=test" in str(refused.value)
    check_production(make_settings(env="test", **{section: {setting: value}}))  # tests: anywhere
