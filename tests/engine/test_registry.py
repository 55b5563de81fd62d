"""Live reload: a saved flow edit is live within a second; an invalid edit keeps the old version
and logs every error; a user on a removed state restarts that flow with a short notice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, settings_from_mapping
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.memory import MemoryStore
from tests.testing.conftest import FLOWS, write_flows


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    write_flows(tmp_path / "flows", FLOWS)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("class Circle:\n    pass\n", encoding="utf-8")
    return settings_from_mapping(
        {
            "flows": {"dir": "flows", "reload": True, "reload_poll_seconds": 0.1},
            "repos": [{"name": "tiny", "path": "repo"}],
            "search": {"index_dir": "index"},
        },
        base_dir=tmp_path,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with await Services.create(settings, store=MemoryStore()) as services:
        yield services


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def wait_for(condition: object, seconds: float = 2.0) -> float:
    started = time.perf_counter()
    while not condition():  # type: ignore[operator]
        assert time.perf_counter() - started < seconds, "the edit was not picked up in time"
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def test_an_edit_is_live_within_a_second(services: Services, settings: Settings) -> None:
    say = services.engine.handle
    assert (await say(Inbound(user_id="a", text="hi"))).replies == (
        "Hello! Send *find* to search.",
    )
    version = services.flows.current.version
    edit(settings.base_dir / "flows" / "desk.yaml", "Hello! Send", "Welcome! Send")
    took = await wait_for(lambda: services.flows.current.version != version)
    assert took < 1.0
    result = await say(Inbound(user_id="a", text="hello"))
    assert result.replies == ("Welcome! Send *find* to search.",)


async def test_messages_keep_flowing_during_a_reload(
    services: Services, settings: Settings
) -> None:
    version = services.flows.current.version
    edit(settings.base_dir / "flows" / "desk.yaml", "What should I find?", "Find what?")
    replies = []
    for n in range(30):
        result = await services.engine.handle(Inbound(user_id=f"u{n % 3}", text="find"))
        replies.append(result.replies)
        await asyncio.sleep(0.01)
    await wait_for(lambda: services.flows.current.version != version)
    assert all(r for r in replies)  # every message got an answer, old version or new


async def test_an_invalid_edit_keeps_the_old_version_and_logs_every_error(
    services: Services, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.flows")
    version = services.flows.current.version
    edit(settings.base_dir / "flows" / "desk.yaml", "to: nudge}", "to: nudgee}")
    edit(
        settings.base_dir / "flows" / "desk.yaml",
        "{intent: find, to: ask}",
        "{intent: fnd, to: ask}",
    )
    await wait_for(lambda: services.flows.last_problems)
    assert services.flows.current.version == version
    events = [r.getMessage() for r in caplog.records]
    assert events[0] == "flows.reload_rejected"
    problems = "\n".join(r.fields["problem"] for r in caplog.records[1:])
    assert set(events[1:]) == {"flows.reload_problem"}
    assert "times out to unknown state 'desk.nudgee'" in problems
    assert "uses unknown intent 'fnd'" in problems
    result = await services.engine.handle(Inbound(user_id="b", text="hi"))
    assert result.replies == ("Hello! Send *find* to search.",)


async def test_a_user_on_a_removed_state_restarts_that_flow(
    services: Services, settings: Settings
) -> None:
    say = services.engine.handle
    await say(Inbound(user_id="c", text="hi"))
    await say(Inbound(user_id="c", text="find"))
    assert (await say(Inbound(user_id="c", text="Circle"))).state == "desk.found"
    desk = settings.base_dir / "flows" / "desk.yaml"
    text = desk.read_text(encoding="utf-8")
    text = text.replace("{when: results, to: found}", "{when: results, to: ask}")
    text = text[: text.index("  found:")]
    desk.write_text(text, encoding="utf-8")
    assert services.flows.reload() == []
    result = await say(Inbound(user_id="c", text="Circle"))
    assert result.replies[0] == (
        "The conversation was just updated, so we are starting this part again."
    )
    assert result.state == "desk.welcome"
