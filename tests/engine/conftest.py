from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.engine.turn import Inbound, TurnResult
from bot.search.index import RepoSnapshot
from bot.services import Services
from bot.store.memory import MemoryStore
from tests.conftest import indexed_search

ROOT = Path(__file__).resolve().parents[2]
Say = Callable[[str], Awaitable[TurnResult]]


def project_settings(**storage: str) -> Settings:
    settings = load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)
    if storage:
        settings = dataclasses.replace(
            settings, storage=dataclasses.replace(settings.storage, **storage)
        )
    return settings


@pytest.fixture
def settings() -> Settings:
    return project_settings()


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, repo_snapshots: dict[str, RepoSnapshot]
) -> AsyncIterator[Services]:
    """Services over a memory store and the already indexed repositories of ``settings``."""
    services = await Services.create(
        settings,
        store=MemoryStore(),
        search=indexed_search(settings, repo_snapshots),
        watch_flows=False,
        start_search=False,
    )
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def services(
    settings: Settings, repo_snapshots: dict[str, RepoSnapshot]
) -> AsyncIterator[Services]:
    async with open_services(settings, repo_snapshots) as services:
        yield services


@pytest.fixture
def say(services: Services) -> Say:
    """Send a message as one user and get the turn's result."""

    async def send(text: str, user: str = "whatsapp:+15550001") -> TurnResult:
        return await services.engine.handle(Inbound(user_id=user, text=text))

    return send


def joined(result: TurnResult) -> str:
    return "\n".join(result.replies)


async def say_all(say: Say, *texts: str) -> TurnResult:
    """Send each of ``texts`` in turn; the last turn's result."""
    result = None
    for text in texts:
        result = await say(text)
    assert result is not None, "nothing was said"
    return result
