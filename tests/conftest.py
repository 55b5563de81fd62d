"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.search.files import FileFilter
from bot.search.index import RepoSnapshot, build
from bot.search.service import SearchService
from bot.search.symbols import Outliner

ROOT = Path(__file__).resolve().parents[1]
INDEXED_REPOS = ("codechat", "jinja2", "aiohttp")


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
