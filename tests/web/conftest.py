from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator
from yarl import URL

from bot.config import Settings, settings_from_mapping
from bot.engine.actions import ActionContext, ActionRegistry, ActionSpec
from bot.services import Services, default_actions
from bot.web.app import create_app
from tests.channels.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://bot.example.com"
BOT_NUMBER = "whatsapp:+14155238886"

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class SlowSearch(ActionRegistry):
    """The shipped actions, with code search held back by `delay` seconds (a slow turn), and a
    record of how many turns of one user ran at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.running = 0
        self.most_at_once = 0
        self.calls = 0
        base = default_actions()
        for spec in base.specs():
            self._actions[spec.name] = spec
        real = base.get("search")
        assert real is not None

        async def slow(ctx: ActionContext) -> None:
            self.running += 1
            self.calls += 1
            self.most_at_once = max(self.most_at_once, self.running)
            try:
                await asyncio.sleep(self.delay)
                await real.fn(ctx)
            finally:
                self.running -= 1

        self._actions["search"] = ActionSpec("search", slow, real.params, real.doc, True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    lines = [f"def handler_{i}(request):\n    return route_{i}(request)\n" for i in range(60)]
    (root / "routes.py").write_text("\n".join(lines))
    (root / "app.py").write_text(
        "def make_router():\n    return Router()\n\n\nclass Router:\n    pass\n"
    )
    return root


@pytest.fixture
async def fake_twilio(aiohttp_server: ServerFactory) -> tuple[FakeTwilio, str]:
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


@pytest.fixture
def make_settings(
    tmp_path: Path, repo: Path, fake_twilio: tuple[FakeTwilio, str]
) -> Callable[..., Settings]:
    def make(**sections: dict[str, Any]) -> Settings:
        data: dict[str, Any] = {
            "env": "test",
            "server": {"public_base_url": PUBLIC},
            "storage": {
                "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
                "backup_dir": str(tmp_path / "backups"),
                "hash_key_file": str(tmp_path / "data" / "sender-hash.key"),
            },
            "flows": {"dir": str(ROOT / "flows"), "prompts_dir": str(ROOT / "prompts")},
            "repos": [{"name": "demo", "path": str(repo)}],
            "search": {"index_dir": str(tmp_path / "index")},
            "twilio": {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "whatsapp_number": BOT_NUMBER,
                "api_base_url": fake_twilio[1],
            },
        }
        for name, values in sections.items():
            data[name] = {**data.get(name, {}), **values} if isinstance(values, dict) else values
        return settings_from_mapping(data, base_dir=ROOT)

    return make


@pytest.fixture
def slow_search() -> SlowSearch:
    return SlowSearch(delay=0.0)


@pytest.fixture
async def start(
    aiohttp_client: ClientFactory, make_settings: Callable[..., Settings], slow_search: SlowSearch
) -> AsyncIterator[Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]]:
    """Start the real app on real services (SQLite, flows, search) with the given settings."""
    opened: list[Services] = []

    async def go(**sections: dict[str, Any]) -> tuple[TestClient[Any, Any], Services]:
        settings = make_settings(**sections)
        services = await Services.create(settings, actions=slow_search, watch_flows=False)
        opened.append(services)
        client = await aiohttp_client(create_app(settings, services=services))
        return client, services

    yield go
    for services in opened:
        await services.close()


def sign(path: str, fields: dict[str, str], *, token: str = AUTH_TOKEN, base: str = PUBLIC) -> str:
    return RequestValidator(token).compute_signature(base + path, fields)


def inbound(sid: str, text: str, sender: str = "whatsapp:+15551230001") -> dict[str, str]:
    return {
        "SmsMessageSid": sid,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": BOT_NUMBER,
        "Body": text,
        "NumMedia": "0",
        "ProfileName": "Ada",
        "WaId": sender.removeprefix("whatsapp:+"),
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


async def post_signed(
    client: TestClient[Any, Any], path: str, fields: dict[str, str], **sign_args: str
) -> tuple[int, str]:
    headers = {
        "X-Twilio-Signature": sign(path, fields, **sign_args),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    # encoded=True: send the path exactly as written (yarl would decode %2F in the query).
    url = URL(str(client.make_url("")).rstrip("/") + path, encoded=True)
    async with client.session.post(url, data=urlencode(fields), headers=headers) as resp:
        return resp.status, await resp.text()


SETUP = ("hi", "switch repo", "1")  # after these, any text is a code search in the demo repo


async def ready(client: TestClient[Any, Any], sender: str, prefix: str = "SMsetup") -> None:
    for i, text in enumerate(SETUP):
        status, _ = await post_signed(
            client, "/webhook", inbound(f"{prefix}{sender}{i}", text, sender)
        )
        assert status == 200


# Rate limits count in fixed one-minute windows (bot/coord): a test that sends more messages than
# its limit within one window starts with at least this many seconds of the window left.
WINDOW_LEFT = 15.0


@pytest.fixture
async def one_window() -> None:
    """Waits for the next minute when the current one is nearly over, so a test's burst of
    messages falls within one rate-limit window."""
    left = 60.0 - time.time() % 60.0
    if left < WINDOW_LEFT:
        await asyncio.sleep(left + 0.05)
