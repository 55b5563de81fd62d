from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import NluConfig
from bot.engine.registry import check_flows
from bot.errors import Problem
from bot.services import default_actions

INTENTS = """
intents:
  yes: [yes, yep, sure]
  no: [no, nope]
  help: [help]
globals:
  help: {builtin: help}
"""

Check = Callable[..., list[Problem]]


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """Write the given files (name -> YAML) into a flows folder and validate it."""

    def run(files: dict[str, str], *, intents: bool = True) -> list[Problem]:
        folder = tmp_path / "flows"
        folder.mkdir(exist_ok=True)
        if intents:
            files = {"intents.yaml": INTENTS, **files}
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        _flows, problems, _templates = check_flows(
            folder, actions=default_actions(), nlu=NluConfig(), base=tmp_path
        )
        return problems

    return run


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]
