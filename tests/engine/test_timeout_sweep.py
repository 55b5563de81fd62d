"""The sweep delivers what due timeouts say, and one failed delivery does not stop the rest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.engine.timeouts import sweep_once
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.memory import MemoryStore
from bot.testing.clock import FakeClock
from tests.engine.test_timeouts import sqlite_settings


async def test_due_timeouts_are_delivered(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    settings = sqlite_settings(tmp_path)
    async with await Services.create(
        settings, store=MemoryStore(), clock=clock, watch_flows=False
    ) as services:
        for user in ("a", "b", "c"):
            await services.engine.handle(Inbound(user_id=user, text="hi"))
            await services.engine.handle(Inbound(user_id=user, text="find"))
        sent: list[tuple[str, Sequence[str]]] = []

        async def deliver(user: str, replies: Sequence[str]) -> None:
            if user == "b":
                raise ConnectionError("channel down")
            sent.append((user, replies))

        assert await sweep_once(services.engine, deliver) == 0
        clock.advance(601)
        assert await sweep_once(services.engine, deliver) == 3
        assert sorted(u for u, _ in sent) == ["a", "c"]
        assert sent[0][1] == ("Still there? Send *find* when you are ready.",)
        assert "timeouts.delivery_failed" in caplog.text
        assert await sweep_once(services.engine, deliver) == 0
