"""`python -m bot chat` piped: the first search is answered from the whole index."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.commands.chat import show_warnings, wait_for_index
from bot.config import NluConfig, settings_from_mapping
from bot.engine.registry import FlowRegistry
from bot.search.service import SearchService
from bot.services import default_actions

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_piped_search_waits_for_the_index(tmp_path: Path) -> None:
    # An empty index folder: every repository is built from scratch while the chat starts.
    fresh = {"BOT_SEARCH__INDEX_DIR": str(tmp_path / "index"), "DATABASE_URL": "memory://"}
    config = str(ROOT / "config.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", config, "chat", "--user", "first-search"],
        input="hi\n1\njinja2\nEnvironment\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **fresh},
        timeout=120,
        check=True,
    )
    assert "still indexing" not in done.stdout
    assert "Found 20+ matches for “Environment” in *jinja2*; 1-5 shown:" in (done.stdout)
    assert "*1.* `environment.py:144` (`Environment`)" in done.stdout
    assert "indexing" not in done.stdout  # progress, if any, goes to stderr only
    progress = [line for line in done.stderr.splitlines() if line.startswith("indexing ")]
    assert set(progress) <= {"indexing codechat…", "indexing jinja2…", "indexing aiohttp…"}


async def test_a_long_indexing_names_each_repository_on_stderr(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {"repos": [{"name": "jinja2", "package": "jinja2"}], "search": {"index_dir": "index"}},
        base_dir=tmp_path,
    )
    search = SearchService.from_settings(settings, watch_changes=False)
    await search.start()
    progress = io.StringIO()
    try:
        await wait_for_index(search, progress=progress, quiet_seconds=0.0, poll_seconds=0.01)
        assert search.status()["state"] == "ready"
    finally:
        await search.close()
    assert progress.getvalue() == "indexing jinja2…\n"


async def test_an_index_ready_at_once_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    settings = settings_from_mapping(
        {"repos": [{"name": "tiny", "path": "repo"}], "search": {"index_dir": "index"}},
        base_dir=tmp_path,
    )
    search = SearchService.from_settings(settings, watch_changes=False)
    await search.start()
    progress = io.StringIO()
    try:
        await wait_for_index(search, progress=progress)
        assert search.status()["state"] == "ready"
    finally:
        await search.close()
    assert progress.getvalue() == ""


def test_a_refused_flow_edit_while_chatting_names_each_problem(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    registry = FlowRegistry(flows, actions=default_actions(), nlu=NluConfig(), base=tmp_path)
    greeting = flows / "greeting.yaml"
    greeting.write_text(greeting.read_text(encoding="utf-8").replace("to: menu", "to: menuu"))
    stderr = io.StringIO()
    with show_warnings(stderr):
        problems = registry.reload()
    rejected, *reported = stderr.getvalue().splitlines()
    assert rejected.startswith(f"flows.reload_rejected errors={len(problems)} live_version=")
    assert len(reported) == len(problems)
    for line, problem in zip(reported, problems, strict=True):
        assert line.startswith(
            f"flows.reload_problem file=flows/greeting.yaml line={problem.line} problem="
        )
    assert "menuu" in reported[0]


def test_no_garbage_collection_until_the_chat_first_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up runs without the collector; it is back once the chat waits for a person, and
    after the chat in any case."""
    import argparse
    import gc

    from bot.channels import console
    from bot.commands import chat as chat_command
    from tests.testing.conftest import FLOWS, write_flows

    write_flows(tmp_path / "flows", FLOWS)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(
        "flows: {dir: flows, reload: false}\nsearch: {index_dir: index}\n"
        "repos: [{name: tiny, path: repo}]\n",
        encoding="utf-8",
    )
    seen: list[bool] = []

    async def fake_chat(engine: object, *, user_id: str, idle: Any) -> int:
        seen.append(gc.isenabled())
        await idle()
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(console, "chat", fake_chat)
    args = argparse.Namespace(config=str(config), user="gc", database_url="memory://")
    assert gc.isenabled()
    assert chat_command.run(args) == 0
    assert seen == [False, True]
    assert gc.isenabled()
