"""The sweep delivers what due timeouts say, and one failed delivery does not stop the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.engine.actions import ActionContext
from bot.engine.timeouts import sweep_once
from bot.engine.turn import Inbound
from bot.services import Services, default_actions
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


async def test_a_timeout_whose_target_fails_apologises_once(tmp_path: Path) -> None:
    flows = tmp_path / "failing_flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(
        """
flow: main
states:
  waiting:
    say: "Ready?"
    timeout: {after: 1m, to: broken}
    on:
      - {otherwise: waiting}
  broken:
    do: [explode]
    on:
      - {otherwise: waiting}
""",
        encoding="utf-8",
    )

    async def explode(ctx: ActionContext) -> None:
        raise RuntimeError("disk on fire")

    actions = default_actions()
    actions.register("explode", explode)
    clock = FakeClock()
    settings = dataclasses.replace(sqlite_settings(tmp_path), base_dir=tmp_path)
    settings = dataclasses.replace(
        settings, flows=dataclasses.replace(settings.flows, dir=str(flows))
    )
    async with await Services.create(
        settings,
        store=MemoryStore(),
        clock=clock,
        actions=actions,
        watch_flows=False,
        start_search=False,
    ) as services:
        await services.engine.handle(Inbound(user_id="u", text="hi"))
        sent: list[Sequence[str]] = []

        async def deliver(user: str, replies: Sequence[str]) -> None:
            sent.append(replies)

        clock.advance(61)
        assert await sweep_once(services.engine, deliver) == 1
        clock.advance(61)
        assert await sweep_once(services.engine, deliver) == 0
        assert len(sent) == 1 and "something went wrong" in sent[0][0]
