"""Access through the running app: outsiders get one refusal and nothing else, each group sees
only its repositories in every state, admins invite and revoke from the chat."""

from __future__ import annotations

import asyncio
import html
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.services import Services
from bot.store.members import Member, change_of
from tests.channels.fake_twilio import FakeTwilio
from tests.store.conftest import PG_URL, pg_schema
from tests.web.conftest import inbound, post_signed
from tests.web.test_timeouts import FLOW as TIMEOUT_FLOW

ADMIN = "whatsapp:+15550000009"
ALICE = "whatsapp:+15550000001"  # team-a in config.yaml
BOB = "whatsapp:+15550000002"  # team-b
OUTSIDER = "whatsapp:+15559990000"
_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)

LIMITS = {"rate_limit_per_minute": 100}
Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]


@pytest.fixture
def repos(tmp_path: Path) -> list[dict[str, Any]]:
    made = []
    for name, team, symbol in (
        ("alpha", "team-a", "alpha_ledger"),
        ("beta", "team-b", "beta_vault"),
    ):
        root = tmp_path / name
        root.mkdir()
        code = f"def {symbol}():\n    return 'private {name} code'\n\n\n"
        (root / f"{name}.py").write_text(code + "def shared_helper():\n    pass\n")
        made.append({"name": name, "path": str(root), "allow": [team]})
    return made


def _access(**extra: Any) -> dict[str, Any]:
    return {
        "mode": "allowlist",
        "groups": {"team-a": ["+1 (555) 000-0001"], "team-b": ["+15550000002"]},
        "admins": ["+1 555 000 0009"],
        "refusal": "Sorry, this number is private.",
        **extra,
    }


@pytest.fixture
async def app(start: Start, repos: list[dict[str, Any]]) -> tuple[TestClient[Any, Any], Services]:
    return await start(repos=repos, access=_access(), limits=LIMITS)


async def say(client: TestClient[Any, Any], sender: str, text: str) -> list[str]:
    status, body = await post_signed(client, "/webhook", inbound(_sid(), text, sender))
    assert status == 200, body
    return [html.unescape(m) for m in _MESSAGE.findall(body)]


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


async def test_an_outsider_gets_one_refusal_and_nothing_else(app: Any) -> None:
    client, services = app
    sids = [_sid() for _ in range(3)]
    bodies = []
    for sid, text in zip(sids, ("hi", "switch repo", "alpha_ledger"), strict=True):
        status, body = await post_signed(client, "/webhook", inbound(sid, text, OUTSIDER))
        assert status == 200
        bodies.append([html.unescape(m) for m in _MESSAGE.findall(body)])
    assert bodies == [["Sorry, this number is private."], [], []]
    store = services.store
    assert await store.load_session("+15559990000") is None
    assert await store.history("+15559990000") == []
    assert await store.claim_message(sids[0], "+15559990000")  # never claimed: no trace
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_messages_total{outcome="refused"} 3.0' in metrics
    assert 'bot_messages_total{outcome="replied"} 0.0' in metrics


async def test_a_member_of_one_group_never_sees_the_other_groups_repository(app: Any) -> None:
    client, _services = app
    said: list[str] = []

    async def talk(text: str) -> list[str]:
        replies = await say(client, ALICE, text)
        said.extend(replies)
        return replies

    menu = "\n".join(await talk("hi"))
    assert "(1 available)" in menu
    listing = "\n".join(await talk("switch repo"))
    assert "alpha" in listing
    assert "There is no repository number 2." in "\n".join(await talk("2"))
    assert "I don't know a repository called “beta”." in "\n".join(await talk("beta"))
    assert "alpha" in "\n".join(await talk("1"))
    found = "\n".join(await talk("beta_vault"))  # the other group's code
    assert "No matches" in found
    found = "\n".join(await talk("shared_helper"))  # in both repositories: only alpha's shows
    assert "alpha.py" in found
    opened = "\n".join(await talk("open 1"))
    assert "shared_helper" in opened
    await talk("menu")
    await talk("beta")  # a repository's name typed at the menu
    await talk("switch repo")
    await talk("3")  # out of range
    await talk("menu")
    await talk("ask")
    answer = "\n".join(await talk("where is the shared helper defined?"))
    assert "alpha.py" in answer
    await talk("explain 1")
    assert not [r for r in said if "beta" in r.replace("“beta”", "").replace("beta_vault", "")]
    assert not [r for r in said if "private beta code" in r]


async def test_an_admin_invites_and_revokes_from_the_chat(app: Any) -> None:
    client, services = app
    newcomer = "whatsapp:+15550000003"
    assert await say(client, newcomer, "hi") == ["Sorry, this number is private."]
    reply = await say(client, ADMIN, "invite +1 555 000 0003 team-b")
    assert reply == [
        "Invited +15550000003 to group team-b. They can talk to me now and read 1 repository."
    ]
    menu = "\n".join(await say(client, newcomer, "hi"))  # at once, no restart
    assert "(1 available)" in menu
    await say(client, newcomer, "switch repo")
    assert "beta" in "\n".join(await say(client, newcomer, "1"))
    assert "beta_vault" in "\n".join(await say(client, newcomer, "beta_vault"))

    who = "\n".join(await say(client, ADMIN, "who"))
    assert "+15550000003 - team-b, invited by +15550000009" in who
    assert "+15550000001 - team-a" in who

    assert await say(client, ADMIN, "revoke whatsapp:+15550000003") == [
        "Revoked +15550000003: they can no longer talk to me."
    ]
    before = len(await services.store.history("+15550000003", limit=50))
    # Refused (and told so) before the invite, today: not told again, and nothing runs.
    assert await say(client, newcomer, "beta_vault") == []
    assert len(await services.store.history("+15550000003", limit=50)) == before
    entries = await services.store.audit_log()
    assert [(e.actor, e.action, e.user_id, e.group, e.via) for e in entries] == [
        ("+15550000009", "revoke", "+15550000003", "", "chat"),
        ("+15550000009", "invite", "+15550000003", "team-b", "chat"),
    ]


async def test_admin_words_from_anyone_else_are_ordinary_text(app: Any) -> None:
    client, services = app
    await say(client, ALICE, "hi")
    for text in ("who", "invite +15550000004 team-a", "revoke +15550000002"):
        replies = "\n".join(await say(client, ALICE, text))
        assert "Invited" not in replies and "Revoked" not in replies and "named:" not in replies
    assert await services.store.members() == []
    assert await services.store.audit_log() == []
    assert "(1 available)" in "\n".join(await say(client, BOB, "hi"))  # Bob was not revoked


async def test_an_admin_cannot_invite_into_an_unknown_group_or_revoke_an_admin(app: Any) -> None:
    client, services = app
    assert await say(client, ADMIN, "invite +15550000004 team-z") == [
        "There is no group “team-z”. Groups: team-a, team-b."
    ]
    assert await say(client, ADMIN, "invite 5550000004") == [
        "“5550000004” is not a phone number in international form: write it with + and the "
        "country code, like +15551234567"
    ]
    assert await say(client, ADMIN, "revoke +15550000009") == [
        "+15550000009 is an admin in config.yaml: remove them there."
    ]
    assert await services.store.members() == []


async def test_a_selected_repository_that_becomes_hidden_is_forgotten(app: Any) -> None:
    client, _services = app
    carol = "whatsapp:+15550000005"
    await say(client, ADMIN, "invite +15550000005 team-a")
    await say(client, carol, "hi")
    await say(client, carol, "switch repo")
    await say(client, carol, "1")
    assert "alpha_ledger" in "\n".join(await say(client, carol, "alpha_ledger"))
    await say(client, ADMIN, "invite +15550000005 team-b")  # moved to the other team
    back = "\n".join(await say(client, carol, "back"))  # the steps taken in alpha are gone
    assert "alpha" not in back
    opened = "\n".join(await say(client, carol, "open 1"))
    assert "alpha" not in opened and "private alpha code" not in opened
    menu = "\n".join(await say(client, carol, "menu"))
    assert "alpha" not in menu and "(1 available)" in menu
    search = "\n".join(await say(client, carol, "1"))  # search: which repository first
    # One readable repository is selected without asking.
    assert "What should I look for in *beta*" in search and "alpha" not in search


async def test_open_mode_lets_anyone_talk_but_keeps_allow_lists(
    start: Start, repos: list[dict[str, Any]]
) -> None:
    repos.append({**repos[0], "name": "public", "allow": None})
    del repos[-1]["allow"]
    client, _ = await start(repos=repos, access=_access(mode="open"))
    menu = "\n".join(await say(client, OUTSIDER, "hi"))
    assert "(1 available)" in menu
    listing = "\n".join(await say(client, OUTSIDER, "switch repo"))
    assert "public" in listing and "alpha" not in listing and "beta" not in listing


@pytest.mark.postgres
async def test_the_refusal_is_sent_once_a_day_across_two_instances(
    start: Start, repos: list[dict[str, Any]]
) -> None:
    async with pg_schema() as schema:
        storage = {"database_url": f"{PG_URL}?search_path={schema}"}
        first, _ = await start(repos=repos, access=_access(), storage=storage)
        second, services = await start(repos=repos, access=_access(), storage=storage)
        replies = [await say(c, OUTSIDER, "hi") for c in (first, second, first, second)]
        assert replies == [["Sorry, this number is private."], [], [], []]
        assert await services.store.load_session("+15559990000") is None
        await services.close()


async def test_a_revoked_sender_gets_no_state_timeout_message(
    start: Start, tmp_path: Path, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(TIMEOUT_FLOW, encoding="utf-8")
    client, services = await start(
        flows={"dir": str(flows)}, sessions={"sweep_seconds": 3600}, access={"mode": "open"}
    )
    assert await say(client, OUTSIDER, "hello") == ["Tell me when you are ready."]
    gone = Member("+15559990000", revoked=True, changed_by="cli:ops", changed_at=time.time())
    await services.store.set_member(gone, change_of(gone, via="cli"))
    assert await services.engine.fire_due_timeouts(time.time() + 60) == []
    session = await services.store.load_session("+15559990000")
    assert session is not None and session.timeout_at is None  # not tried again either
    assert fake_twilio[0].sent == []


async def test_once_the_interval_is_over_an_outsider_is_told_again_once(
    start: Start, repos: list[dict[str, Any]]
) -> None:
    every = 0.0005  # hours: 1.8 s
    client, _ = await start(repos=repos, access=_access(refusal_every_hours=every))
    assert await say(client, OUTSIDER, "hi") == ["Sorry, this number is private."]
    assert await say(client, OUTSIDER, "hi") == []
    await asyncio.sleep(every * 3600 + 0.1)  # a lower bound: any slowness only adds to it
    assert await say(client, OUTSIDER, "hi") == ["Sorry, this number is private."]
    assert await say(client, OUTSIDER, "hi") == []
