"""A conversation over a `git:` repository: `open N` shows the line's permalink."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bot.config import RepoConfig
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.memory import MemoryStore
from tests.engine.conftest import project_settings
from tests.search.gitrepos import Upstream

FILES = {"shop/orders.py": "import os\n\n\ndef place_order(item):\n    return item\n"}
WEB = "https://git.example.com/org/shop/blob/{commit}/{path}#L{line}"


async def test_open_shows_the_permalink_of_the_commit_searched(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path / "remote", FILES)
    base = project_settings()
    settings = dataclasses.replace(
        base,
        repos=(RepoConfig(name="shop", git=str(upstream.bare), web_url=WEB),),
        search=dataclasses.replace(base.search, repos_dir=str(tmp_path / "clones")),
    )
    services = await Services.create(settings, store=MemoryStore(), watch_flows=False)
    try:

        async def say(text: str) -> str:
            result = await services.engine.handle(Inbound(user_id="+15550003", text=text))
            return "\n".join(result.replies)

        await asyncio.wait_for(services.search.wait_ready(), 60)
        await say("hi")
        await say("1")
        found = await say("where is place_order defined")
        assert "shop/orders.py" in found
        opened = await say("open 1")
        link = f"https://git.example.com/org/shop/blob/{upstream.head()}/shop/orders.py#L4"
        assert f"```\n{link}\nSend *explain 1*" in opened
    finally:
        await services.close()


async def test_before_the_first_clone_the_bot_says_it_is_still_getting_the_code(
    tmp_path: Path,
) -> None:
    upstream = Upstream(tmp_path / "remote", FILES)
    base = project_settings()
    settings = dataclasses.replace(
        base,
        repos=(RepoConfig(name="shop", git=str(upstream.bare)),),
        search=dataclasses.replace(base.search, repos_dir=str(tmp_path / "clones")),
    )
    services = await Services.create(
        settings, store=MemoryStore(), watch_flows=False, start_search=False
    )
    try:

        async def say(text: str) -> str:
            result = await services.engine.handle(Inbound(user_id="+15550004", text=text))
            return "\n".join(result.replies)

        await say("hi")
        await say("1")
        found = await say("where is place_order defined")
        assert "still getting the code of shop from git" in found
    finally:
        await services.close()
