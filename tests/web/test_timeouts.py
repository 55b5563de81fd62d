"""A state's timeout fires on its own in the running service, and its message goes out by REST."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.services import Services
from tests.channels.fake_twilio import FakeTwilio
from tests.web.conftest import BOT_NUMBER, inbound, post_signed

Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]

FLOW = """
flow: main
states:
  waiting:
    say: "Tell me when you are ready."
    timeout: {after: 1s, to: nudged}
    on:
      - {otherwise: done}
  nudged:
    say: "Still there? Send anything to carry on."
    on:
      - {otherwise: done}
  done:
    say: "Done."
    final: true
"""


async def test_a_due_timeout_sends_the_target_state_message(
    start: Start, tmp_path: Path, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(FLOW, encoding="utf-8")
    client, services = await start(flows={"dir": str(flows)}, sessions={"sweep_seconds": 0.05})
    sender = "whatsapp:+15550009999"
    status, body = await post_signed(client, "/webhook", inbound("SMt1", "hello", sender))
    assert status == 200 and "Tell me when you are ready." in body

    fake, _url = fake_twilio
    for _ in range(100):  # the timeout is 1 s; the sweep looks every 50 ms
        if fake.sent:
            break
        await asyncio.sleep(0.05)
    assert [(m.to, m.from_, m.body) for m in fake.sent] == [
        (sender, BOT_NUMBER, "Still there? Send anything to carry on.")
    ]
    session = await services.store.load_session("+15550009999")  # the sender's key
    assert session is not None and session.state == "main.nudged"
    assert session.timeout_at is None
