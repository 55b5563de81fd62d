"""A real `server.py` process killed mid-turn, and one stopped with SIGTERM under load.

The server talks to a local Twilio REST stand-in and a local OpenAI stand-in (tests/channels,
tests/llm), on its own SQLite file, as in production.
"""

from __future__ import annotations

import asyncio
import html
import re
import signal
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bench.cluster import AUTH_TOKEN, BOT_NUMBER, PUBLIC, Cluster, Instance, demo_repository, post
from tests.channels.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.llm.fakes import FakeLLM, Hang, Reply

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "how does render build a Template?"
ANSWER = "render returns a new Template (app.py:5)."
NEXT = (
    "Ask a follow-up question, send *open N* or *explain N* for a cited result, *more* for "
    "every match, or type a name or a /regex/ to search."
)
REPLY = f"{ANSWER}\n\n{NEXT}"  # as stored: the answer, then what can be sent next
_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


@dataclass
class Fakes:
    twilio: FakeTwilio
    llm: FakeLLM
    twilio_url: str


@pytest.fixture
async def fakes() -> AsyncIterator[Fakes]:
    twilio = FakeTwilio(auth_token=AUTH_TOKEN)
    llm = FakeLLM(answer=lambda _api, _body: ANSWER)
    # handler_cancellation: a request of a killed server must not hold the fake up at teardown
    servers = [TestServer(twilio.app(), handler_cancellation=True)]
    servers.append(TestServer(llm.app(), handler_cancellation=True))
    for server in servers:
        await server.start_server()
    llm.url = str(servers[1].make_url("")).rstrip("/")
    try:
        yield Fakes(twilio, llm, str(servers[0].make_url("")).rstrip("/"))
    finally:
        for server in servers:
            await server.close()


def write_config(workdir: Path, fakes: Fakes, *, grace: float = 10.0) -> Path:
    repo = demo_repository(workdir)
    config = workdir / "config.yaml"
    config.write_text(
        f"""env: test
log_level: INFO
server: {{host: 127.0.0.1, public_base_url: "{PUBLIC}", shutdown_grace_seconds: {grace}}}
storage:
  database_url: "sqlite:///{workdir / "data" / "bot.db"}"
  reclaim_after_seconds: 1
flows: {{dir: "{ROOT / "flows"}", prompts_dir: "{ROOT / "prompts"}", reload: false}}
limits: {{rate_limit_per_minute: 1000000, reply_budget_seconds: 0.3}}
llm:
  chain: [openai]
  attempts: 1
  timeout_seconds: 60
  openai: {{api_key: sk-test-0000, base_url: "{fakes.llm.openai_base_url}"}}
search: {{index_dir: "{workdir / "index"}"}}
repos: [{{name: demo, path: "{repo}", description: a tiny repository}}]
twilio:
  account_sid: "{ACCOUNT_SID}"
  whatsapp_number: "{BOT_NUMBER}"
  api_base_url: "{fakes.twilio_url}"
""",
        encoding="utf-8",
    )
    return config


def _sender() -> str:
    return f"whatsapp:+1999{uuid.uuid4().int % 10**8:08d}"


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


async def _ask_ready(http: aiohttp.ClientSession, instance: Instance, sender: str) -> None:
    """Into the question-and-answer flow, on the demo repository (the only one: selected
    without asking)."""
    for text in ("hi", "3"):
        status, body = await post(http, instance, sender, text, _sid())
        assert status == 200, body
    assert "What would you like to know" in html.unescape(body)


async def _until(check: Callable[[], object], seconds: float) -> None:
    """Poll what the fakes recorded (they are other processes' doing: no event to wait on)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)


def _rows(db: Path, sid: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        found = conn.execute(
            "SELECT message, response FROM conversations WHERE message_sid = ?", (sid,)
        ).fetchall()
    finally:
        conn.close()
    return [(str(m), str(r)) for m, r in found]


async def test_a_message_acknowledged_before_a_kill_is_answered_once_after_restart(
    tmp_path: Path, fakes: Fakes
) -> None:
    cluster = Cluster(write_config(tmp_path, fakes))
    sender, sid = _sender(), _sid()
    try:
        (first,) = await asyncio.to_thread(cluster.start, 1)
        async with aiohttp.ClientSession() as http:
            await _ask_ready(http, first, sender)
            fakes.llm.then(Hang(60))  # the model is slow: the reply is deferred
            status, body = await post(http, first, sender, QUESTION, sid)
            assert (status, _MESSAGE.findall(body)) == (200, [])  # acknowledged, no reply yet
            await _until(lambda: len(fakes.llm.requests) == 1, 10)
            assert len(fakes.llm.requests) == 1  # the turn is waiting for the model
        cluster.kill(first)  # SIGKILL mid-turn: nothing of the turn was saved
        assert _rows(tmp_path / "data" / "bot.db", sid) == []
        assert not fakes.twilio.sent
        await asyncio.to_thread(cluster.start, 1)
        await _until(lambda: fakes.twilio.sent, 20)
        await asyncio.sleep(3.0)  # three more recovery rounds: still one reply
    finally:
        await asyncio.to_thread(cluster.stop)
    replies = [m for m in fakes.twilio.sent if m.to == sender]
    assert [m.body for m in replies] == [ANSWER, NEXT]
    assert replies[0].from_ == BOT_NUMBER
    assert _rows(tmp_path / "data" / "bot.db", sid) == [(QUESTION, REPLY)]
    assert len(fakes.llm.requests) == 2  # the killed attempt, and the one that answered


async def test_a_reply_cut_off_by_a_kill_is_sent_after_restart_without_a_second_turn(
    tmp_path: Path, fakes: Fakes
) -> None:
    cluster = Cluster(write_config(tmp_path, fakes))
    sender, sid = _sender(), _sid()
    try:
        (first,) = await asyncio.to_thread(cluster.start, 1)
        async with aiohttp.ClientSession() as http:
            await _ask_ready(http, first, sender)
            fakes.llm.then(Hang(1.0, Reply(ANSWER)))  # past the budget: the reply goes by REST
            fakes.twilio.plan.append(30.0)  # and Twilio's API is slow to take it
            status, body = await post(http, first, sender, QUESTION, sid)
            assert (status, _MESSAGE.findall(body)) == (200, [])
            await _until(lambda: fakes.twilio.requests == 1, 10)
            assert fakes.twilio.requests == 1  # the turn is saved, its reply on its way
        cluster.kill(first)  # SIGKILL while the reply is being sent
        assert _rows(tmp_path / "data" / "bot.db", sid) == [(QUESTION, REPLY)]
        assert not fakes.twilio.sent
        await asyncio.to_thread(cluster.start, 1)
        await _until(lambda: fakes.twilio.sent, 20)
        await asyncio.sleep(3.0)  # three more recovery rounds: still one reply
    finally:
        await asyncio.to_thread(cluster.stop)
    assert [m.body for m in fakes.twilio.sent if m.to == sender] == [
        REPLY
    ]  # the saved reply, sent whole
    assert _rows(tmp_path / "data" / "bot.db", sid) == [(QUESTION, REPLY)]
    assert len(fakes.llm.requests) == 1  # the saved reply was sent; the turn did not run again


async def test_sigterm_under_load_ends_the_process_within_the_grace_period(
    tmp_path: Path, fakes: Fakes
) -> None:
    grace = 5.0
    cluster = Cluster(write_config(tmp_path, fakes, grace=grace))
    senders = [_sender() for _ in range(12)]
    try:
        (server,) = await asyncio.to_thread(cluster.start, 1)
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(_ask_ready(http, server, s) for s in senders))
            fakes.llm.then(*[Hang(60)] * len(senders))  # every question waits on the model
            stop = asyncio.Event()

            async def chatter(sender: str) -> None:  # the load: messages keep arriving
                while not stop.is_set():
                    try:
                        await post(http, server, sender, "help", _sid())
                    except aiohttp.ClientError:
                        return  # the server stopped listening
                    await asyncio.sleep(0.05)

            load = [asyncio.create_task(chatter(s)) for s in senders]
            await asyncio.gather(*(post(http, server, s, QUESTION, _sid()) for s in senders))
            await _until(lambda: len(fakes.llm.requests) >= len(senders), 10)
            sent_at = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(server.proc.wait, 60)
            took = time.monotonic() - sent_at
            stop.set()
            await asyncio.gather(*load)
    finally:
        await asyncio.to_thread(cluster.stop)
    log = server.log.read_text()
    assert len(fakes.llm.requests) >= len(senders)  # the model calls were in flight
    assert took < grace + 2, log
    assert code == 0, log  # an orderly exit: every connection closed, no forced exit
    assert "server.shutdown_forced" not in log
