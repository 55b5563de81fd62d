"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.config import Settings, load_settings
from bot.search.files import FileFilter
from bot.search.index import RepoSnapshot, build
from bot.search.service import SearchService
from bot.search.symbols import Outliner

ROOT = Path(__file__).resolve().parents[1]
INDEXED_REPOS = ("codechat", "jinja2", "aiohttp")
INDEX_DIR_VARIABLE = "BOT_SEARCH__INDEX_DIR"
REDIS_URL = "redis://127.0.0.1:6379/0"  # the shared server `make services` starts


def pytest_configure(config: pytest.Config) -> None:
    """Search indexes built during the run go to a temporary folder, removed at the end, never
    to the project's own data/index. The variable reaches every place that reads settings
    from the environment: the CLI commands tests call, the conversation-test plugin and the
    servers and chats tests start as subprocesses. Settings built from a mapping or with
    ``environ={}`` name the folder through ``scratch_index_dir()``."""
    folder = tempfile.mkdtemp(prefix="codechat-tests-index-")
    previous = os.environ.get(INDEX_DIR_VARIABLE)
    os.environ[INDEX_DIR_VARIABLE] = folder

    def restore() -> None:
        if previous is None:
            os.environ.pop(INDEX_DIR_VARIABLE, None)
        else:
            os.environ[INDEX_DIR_VARIABLE] = previous
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(restore)


def scratch_index_dir() -> str:
    """The run's temporary search index folder (see ``pytest_configure``)."""
    return os.environ[INDEX_DIR_VARIABLE]


@pytest.fixture(scope="session")
def repo_snapshots() -> dict[str, RepoSnapshot]:
    """The shipped repositories indexed once per test session (real code, a few seconds)."""
    settings = load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)
    snaps = {}
    for name in INDEXED_REPOS:
        repo = settings.repo(name)
        assert repo is not None
        flt = FileFilter(repo.root(settings.base_dir), include=repo.include, exclude=repo.exclude)
        snaps[name] = build(name, flt, outliner=Outliner())
    return snaps


def indexed_search(settings: Settings, snapshots: dict[str, RepoSnapshot]) -> SearchService:
    """A search service over ``settings.repos`` whose shipped repositories are already indexed."""
    service = SearchService.from_settings(settings, watch_changes=False)
    for name, snap in snapshots.items():
        if settings.repo(name) is not None:
            service.adopt(snap)
    return service


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A client of the shared Redis; the test is skipped, saying why, when it is not running."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); run `make services`")
    yield client
    await client.aclose()


@pytest.fixture
async def redis_prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of one test's own; its keys are deleted afterwards."""
    name = f"test:{uuid.uuid4().hex[:10]}:"
    yield name
    keys = [k async for k in redis.scan_iter(match=f"{name}*")]
    if keys:
        await redis.delete(*keys)
