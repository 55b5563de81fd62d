"""State timeouts (`timeout: {after, to}`): stored with the session, so they survive a restart,
and fired by a sweep (Engine.fire_due_timeouts) or by the user's next message."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.config import Settings
from bot.engine.turn import Inbound
from bot.services import Services
from bot.testing.clock import FakeClock
from tests.testing.conftest import FLOWS, write_flows


def sqlite_settings(tmp_path: Path) -> Settings:
    from bot.config import settings_from_mapping

    write_flows(tmp_path / "flows", FLOWS)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("x = 1\n", encoding="utf-8")
    return settings_from_mapping(
        {
            "flows": {"dir": "flows", "reload": False},
            "repos": [{"name": "tiny", "path": "repo"}],
            "search": {"index_dir": "index"},
            "storage": {"database_url": f"sqlite:///{tmp_path / 'bot.db'}"},
        },
        base_dir=tmp_path,
    )


async def test_a_timer_survives_a_restart(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    clock = FakeClock()
    async with await Services.create(settings, clock=clock, watch_flows=False) as services:
        await services.engine.handle(Inbound(user_id="u1", text="hi"))
        result = await services.engine.handle(Inbound(user_id="u1", text="find"))
        assert result.state == "desk.ask"
        assert await services.engine.fire_due_timeouts() == []  # not due yet

    later = FakeClock(clock.now + 11 * 60)
    async with await Services.create(settings, clock=later, watch_flows=False) as services:
        ((user, fired),) = await services.engine.fire_due_timeouts()
        assert user == "u1"
        assert fired.replies == ("Still there? Send *find* when you are ready.",)
        assert fired.state == "desk.nudge"
        assert await services.engine.fire_due_timeouts() == []  # fired once only
        history = await services.store.history("u1")
        assert history[-1].message_type == "timeout"
        assert history[-1].response == fired.replies[0]
        session = await services.store.load_session("u1")
        assert session is not None and session.timeout_at is None
        # The sweep is not the user's activity: the inactivity timer still counts from "find".
        assert session.last_activity == clock.now


async def test_a_timeout_whose_state_was_edited_away_is_dropped(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    clock = FakeClock()
    async with await Services.create(settings, clock=clock, watch_flows=False) as services:
        await services.engine.handle(Inbound(user_id="u2", text="hi"))
        await services.engine.handle(Inbound(user_id="u2", text="find"))
    flows = tmp_path / "flows" / "desk.yaml"
    text = flows.read_text(encoding="utf-8").replace("    timeout: {after: 10m, to: nudge}\n", "")
    flows.write_text(text.replace("{otherwise: welcome}", "{otherwise: nudge}"), encoding="utf-8")
    later = FakeClock(clock.now + 11 * 60)
    settings = dataclasses.replace(settings)
    async with await Services.create(settings, clock=later, watch_flows=False) as services:
        ((_user, fired),) = await services.engine.fire_due_timeouts()
        assert fired.replies == () and fired.state == "desk.ask"
        assert await services.engine.fire_due_timeouts() == []


async def test_no_timeout_message_after_the_user_has_long_gone(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    clock = FakeClock()
    async with await Services.create(settings, clock=clock, watch_flows=False) as services:
        await services.engine.handle(Inbound(user_id="u3", text="hi"))
        await services.engine.handle(Inbound(user_id="u3", text="find"))
    days_later = FakeClock(clock.now + 2 * 86400)  # the server was down for two days
    async with await Services.create(settings, clock=days_later, watch_flows=False) as services:
        assert await services.engine.fire_due_timeouts() == []
        session = await services.store.load_session("u3")
        assert session is not None and session.timeout_at is None
        assert await services.store.due_sessions(days_later.now) == []
        result = await services.engine.handle(Inbound(user_id="u3", text="find"))
        assert result.replies[0].startswith("Welcome back!")
