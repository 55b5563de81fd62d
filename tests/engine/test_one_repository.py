"""With one repository configured there is nothing to choose."""

from __future__ import annotations

import dataclasses

from bot.engine.turn import Inbound
from bot.search.index import RepoSnapshot
from tests.engine.conftest import open_services, project_settings


async def test_search_code_goes_straight_to_the_query(
    repo_snapshots: dict[str, RepoSnapshot],
) -> None:
    base = project_settings()
    settings = dataclasses.replace(base, repos=tuple(r for r in base.repos if r.name == "jinja2"))
    async with open_services(settings, repo_snapshots) as services:

        async def say(text: str) -> str:
            result = await services.engine.handle(Inbound(user_id="+15550002", text=text))
            return "\n".join(result.replies)

        menu = await say("hi")
        assert "Search code in *jinja2*" in menu
        asked = await say("1")
        assert "What should I look for in *jinja2*" in asked and "Which repository" not in asked
        found = await say("where is class Environment defined")
        assert "I don't know a repository" not in found
        assert "environment.py" in found
        listing = await say("switch repo")
        assert "*jinja2* is the only repository here" in listing
