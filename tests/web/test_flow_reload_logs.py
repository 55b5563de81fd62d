"""Flow reloads in the service's JSON logs: a stable `event` name, the details in fields."""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import NluConfig
from bot.engine.registry import FlowRegistry
from bot.services import default_actions
from bot.web.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A copy of the shipped flows, to edit."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    return tmp_path / "flows"


@pytest.fixture
def json_log(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What the service writes for the flow registry's logger: JSON lines."""
    caplog.set_level(logging.INFO, logger="bot.flows")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(production=True))
    logger = logging.getLogger("bot.flows")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _registry(flows: Path) -> FlowRegistry:
    return FlowRegistry(flows, actions=default_actions(), nlu=NluConfig(), base=flows.parent)


def test_a_refused_edit_logs_stable_events_with_the_problems_in_fields(
    flows: Path, json_log: io.StringIO
) -> None:
    registry = _registry(flows)
    live = registry.current.version
    greeting = flows / "greeting.yaml"
    text = greeting.read_text(encoding="utf-8")
    greeting.write_text(text.replace("to: ", "to: nowhere_", 1), encoding="utf-8")

    problems = registry.reload()

    lines = _lines(json_log)
    assert problems and registry.current.version == live
    assert [line["event"] for line in lines] == ["flows.reload_rejected"] + [
        "flows.reload_problem"
    ] * len(problems)
    rejected, *reported = lines
    assert rejected["level"] == "error"
    assert (rejected["errors"], rejected["live_version"]) == (len(problems), live)
    for line, problem in zip(reported, problems, strict=True):
        assert (line["file"], line["line"], line["problem"]) == (
            problem.file,
            problem.line,
            problem.message,
        )
        assert line["file"] == "flows/greeting.yaml" and line["severity"] == "error"
    assert "unknown state" in reported[0]["problem"]


def test_an_accepted_edit_logs_the_new_and_previous_version(
    flows: Path, json_log: io.StringIO
) -> None:
    registry = _registry(flows)
    previous = registry.current.version
    greeting = flows / "greeting.yaml"
    greeting.write_text(greeting.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    assert registry.reload() == []

    (line,) = _lines(json_log)
    assert line["event"] == "flows.reloaded"
    assert (line["version"], line["previous"]) == (registry.current.version, previous)
    assert line["version"] != previous
