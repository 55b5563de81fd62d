"""A live edit that would fail every turn in a state is refused at reload, naming file:line."""

from __future__ import annotations

import logging
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
            "flows": {"dir": "flows", "reload": False},
            "repos": [{"name": "tiny", "path": "repo"}],
            "search": {"index_dir": "index"},
        },
        base_dir=tmp_path,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with await Services.create(settings, store=MemoryStore()) as services:
        yield services


async def test_an_unknown_filter_is_refused_and_the_old_version_stays(
    services: Services, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.flows")
    desk = settings.base_dir / "flows" / "desk.yaml"
    text = desk.read_text(encoding="utf-8")
    desk.write_text(text.replace('"What should I find?"', '"Find {{ text | upperr }}?"'))

    (problem,) = services.flows.reload()
    assert (problem.file, problem.line, problem.code) == ("flows/desk.yaml", 10, "jinja")
    assert "'say' of 'desk.ask': unknown filter 'upperr' (did you mean 'upper'?)" in (
        problem.message
    )
    (logged,) = [r for r in caplog.records if r.getMessage() == "flows.reload_problem"]
    assert (logged.fields["file"], logged.fields["line"]) == ("flows/desk.yaml", 10)

    await services.engine.handle(Inbound(user_id="a", text="hi"))
    result = await services.engine.handle(Inbound(user_id="a", text="find"))
    assert result.replies == ("What should I find?",)
