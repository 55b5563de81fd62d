"""Sessions survive restarts; one user's turns never overlap; a failing action loses nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine.actions import ActionContext
from bot.engine.turn import Inbound
from bot.errors import FlowError
from bot.search.index import RepoSnapshot
from bot.services import Services, default_actions
from bot.store.memory import MemoryStore
from tests.conftest import indexed_search
from tests.engine.conftest import ROOT, joined, project_settings


async def test_a_restart_continues_the_conversation_from_sqlite(
    tmp_path: Path, repo_snapshots: dict[str, RepoSnapshot]
) -> None:
    settings = project_settings(database_url=f"sqlite:///{tmp_path}/bot.db")

    async def start() -> Services:
        search = indexed_search(settings, repo_snapshots)
        return await Services.create(settings, search=search, watch_flows=False, start_search=False)

    first = await start()
    try:
        for text in ("hi", "2", "jinja2", "Environment"):
            await first.engine.handle(Inbound(user_id="u1", text=text))
    finally:
        await first.close()

    second = await start()
    try:
        result = await second.engine.handle(Inbound(user_id="u1", text="more"))
        assert result.state == "search.results"
        assert joined(result).startswith("6-10 of 20+ for “Environment”:")
        history = await second.store.history("u1")
        assert [r.message for r in history] == ["hi", "2", "jinja2", "Environment", "more"]
        assert history[-1].intent == "more" and history[-1].score == 100.0
    finally:
        await second.close()


def _chat(tmp_path: Path, lines: str) -> str:
    config = tmp_path / "config.yaml"
    config.write_text(  # one small repository keeps the background indexing short
        f"flows: {{dir: {ROOT / 'flows'}, prompts_dir: {ROOT / 'prompts'}, reload: false}}\n"
        f"storage: {{database_url: 'sqlite:///{tmp_path}/chat.db'}}\n"
        "repos:\n  - {name: jinja2, package: jinja2}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "BOT_CONFIG": str(config)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", "cli-user"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_piped_chat_and_a_second_run_continues(tmp_path: Path) -> None:
    first = _chat(tmp_path, "hi\n2\njinja2\n")
    assert "What would you like to do?" in first
    assert "What should I look for in *jinja2*?" in first
    second = _chat(tmp_path, "Environment\n")
    assert "Hi!" not in second  # no new greeting: the state was read back
    assert "for “Environment” in *jinja2*" in second


async def _slow_action_services(tmp_path: Path, log: list[str]) -> Services:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(
        """
flow: main
states:
  idle:
    on:
      - {otherwise: work}
  work:
    do: [slow]
    say: "done {{ text }}"
    on:
      - {otherwise: work}
""",
        encoding="utf-8",
    )

    async def slow(ctx: ActionContext) -> None:
        log.append(f"start {ctx.session.user_id} {ctx.text}")
        await asyncio.sleep(0.01)
        log.append(f"end {ctx.session.user_id} {ctx.text}")

    actions = default_actions()
    actions.register("slow", slow)
    settings = dataclasses.replace(project_settings(), base_dir=tmp_path)
    return await Services.create(
        settings, store=MemoryStore(), actions=actions, watch_flows=False, start_search=False
    )


async def test_one_user_turns_run_one_at_a_time_in_arrival_order(tmp_path: Path) -> None:
    log: list[str] = []
    services = await _slow_action_services(tmp_path, log)
    try:
        await services.engine.handle(Inbound(user_id="a", text="first"))
        log.clear()
        results = await asyncio.gather(
            *(services.engine.handle(Inbound(user_id="a", text=f"m{i}")) for i in range(10))
        )
        assert [r.replies[-1] for r in results] == [f"done m{i}" for i in range(10)]
        expected = [e for i in range(10) for e in (f"start a m{i}", f"end a m{i}")]
        assert log == expected
    finally:
        await services.close()


async def test_different_users_run_concurrently(tmp_path: Path) -> None:
    log: list[str] = []
    services = await _slow_action_services(tmp_path, log)
    try:
        for user in ("a", "b"):
            await services.engine.handle(Inbound(user_id=user, text="first"))
        log.clear()
        await asyncio.gather(
            services.engine.handle(Inbound(user_id="a", text="x")),
            services.engine.handle(Inbound(user_id="b", text="y")),
        )
        assert log[:2] == ["start a x", "start b y"]
    finally:
        await services.close()


async def test_a_failing_action_keeps_the_state_and_apologises(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text(
        """
flow: main
states:
  idle:
    say: "ready"
    on:
      - {otherwise: boom}
  boom:
    do: [explode]
    then:
      - {to: idle}
""",
        encoding="utf-8",
    )

    async def explode(ctx: ActionContext) -> None:
        ctx.slots["half_done"] = True
        raise RuntimeError("disk on fire")

    actions = default_actions()
    actions.register("explode", explode)
    settings = dataclasses.replace(project_settings(), base_dir=tmp_path)
    services = await Services.create(
        settings, store=MemoryStore(), actions=actions, watch_flows=False, start_search=False
    )
    try:
        await services.engine.handle(Inbound(user_id="u", text="hello"))
        result = await services.engine.handle(Inbound(user_id="u", text="go"))
        assert "something went wrong on my side" in joined(result)
        assert result.state == "main.idle"
        session = await services.store.load_session("u")
        assert session is not None and "half_done" not in session.slots
        rows = await services.store.history("u")
        assert rows[-1].message == "go" and rows[-1].message_type == "error"
    finally:
        await services.close()


async def test_broken_flows_refuse_to_start_listing_every_problem(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.yaml").write_text(
        "flow: a\nstates:\n  one:\n    on:\n      - {intent: nope, to: missing}\n",
        encoding="utf-8",
    )
    (flows / "b.yaml").write_text("flow: b\nstates: [\n", encoding="utf-8")
    settings = dataclasses.replace(project_settings(), base_dir=tmp_path)
    with pytest.raises(FlowError) as caught:
        await Services.create(settings, store=MemoryStore(), watch_flows=False, start_search=False)
    text = str(caught.value)
    assert "flows/a.yaml:5: state 'a.one' goes to unknown state 'a.missing'" in text
    assert "flows/a.yaml:5: state 'a.one' uses unknown intent 'nope'" in text
    assert "flows/b.yaml:" in text and "YAML syntax error" in text
