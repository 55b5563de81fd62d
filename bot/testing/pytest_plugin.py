"""Collect YAML conversation tests as pytest items, one per case.

Enable it for a folder with a conftest.py holding
``from bot.testing.pytest_plugin import pytest_collect_file``. Every case runs on one shared
runner (its own event loop, closed when the session ends). Settings are read as `python -m bot
test` reads them: the config file named by BOT_CONFIG (else config.yaml at pytest's root
folder), .env, and BOT_<SECTION>__<KEY> overrides such as BOT_FLOWS__DIR.

A file with problems (a misspelt or repeated key, an unknown state) is one failing item listing
them, and none of its cases run, as with `python -m bot test`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.errors import Problem
from bot.testing.cases import Case, load_case_file
from bot.testing.coverage import Walked, measure
from bot.testing.report import format_failure, format_problems
from bot.testing.runner import CaseResult, ConversationRunner

_RUNNER = pytest.StashKey[tuple[asyncio.Runner, ConversationRunner]]()
_RESULTS = pytest.StashKey[list[CaseResult]]()
COVERAGE_ENV = "BOT_CONVERSATION_COVERAGE"  # set to 1: print what the cases did not walk


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in {".yaml", ".yml"}:
        return ConversationFile.from_parent(parent, path=file_path)
    return None


class ConversationFile(pytest.File):
    def collect(self) -> list[pytest.Item]:
        _loop, runner = _shared_runner(self.config)
        flows = runner.services.flows.current.flows
        cases, problems = load_case_file(self.path, flows=flows, display=self.nodeid)
        if problems:
            return [BrokenFile.from_parent(self, name="(file)", problems=problems)]
        return [ConversationItem.from_parent(self, name=case.name, case=case) for case in cases]


class ConversationFailed(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class BrokenFile(pytest.Item):
    def __init__(self, *, problems: list[Problem], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise ConversationFailed(format_problems(self.problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConversationFailed):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "conversation test file"


class ConversationItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        if case.skip is not None:
            self.add_marker(pytest.mark.skip(reason=case.skip))

    def runtest(self) -> None:
        loop, runner = _shared_runner(self.config)
        result: CaseResult = loop.run(runner.run(self.case))
        self.config.stash.setdefault(_RESULTS, []).append(result)
        if not result.passed:
            verbose = self.config.get_verbosity() > 0
            raise ConversationFailed(format_failure(result, tracebacks=verbose))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConversationFailed):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.source.line - 1, f"conversation: {self.case.name}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, None)
    found = config.stash.get(_RUNNER, None)
    if not os.environ.get(COVERAGE_ENV) or not results or found is None:
        return
    flows = found[1].services.flows.current.flows
    terminalreporter.section("conversation coverage")
    terminalreporter.write_line(measure(flows, Walked().add_results(results)).text())


def settings_file(root: Path) -> Path | None:
    """The config.yaml in pytest's root folder, unless BOT_CONFIG names another file (None:
    load_settings reads BOT_CONFIG, else ./config.yaml, else the defaults, as the CLI does)."""
    default = root / "config.yaml"
    return default if default.is_file() and not os.environ.get("BOT_CONFIG") else None


def _shared_runner(config: pytest.Config) -> tuple[asyncio.Runner, ConversationRunner]:
    found = config.stash.get(_RUNNER, None)
    if found is not None:
        return found
    settings = load_settings(settings_file(config.rootpath))
    loop = asyncio.Runner()
    runner = loop.run(ConversationRunner.open(settings))

    def close() -> None:
        loop.run(runner.close())
        loop.close()

    config.add_cleanup(close)
    config.stash[_RUNNER] = (loop, runner)
    return loop, runner
