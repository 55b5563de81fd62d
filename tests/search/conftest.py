from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings, load_settings, settings_from_mapping
from bot.search.files import FileFilter
from bot.search.index import RepoSnapshot, build
from bot.search.service import SearchService
from bot.search.symbols import Outliner

ROOT = Path(__file__).resolve().parents[2]


async def service_over(make_repo: Callable[..., Settings], files: dict[str, str]) -> SearchService:
    """A search service over a repository of ``files`` (path -> text), indexed."""
    service = SearchService.from_settings(make_repo(files), watch_changes=False)
    await service.index()
    return service


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The shipped config.yaml: repos codechat (this repo), jinja2 and aiohttp."""
    return load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)


@pytest.fixture(scope="session")
def package_snapshots(project_settings: Settings) -> dict[str, RepoSnapshot]:
    """jinja2 and aiohttp indexed once for the whole session (real code, about a second)."""
    snaps = {}
    for name in ("jinja2", "aiohttp"):
        repo = project_settings.repo(name)
        assert repo is not None
        flt = FileFilter(repo.root(project_settings.base_dir))
        snaps[name] = build(name, flt, outliner=Outliner())
    return snaps


@pytest.fixture
def packages(
    project_settings: Settings, package_snapshots: dict[str, RepoSnapshot]
) -> SearchService:
    """A service over jinja2 and aiohttp whose index is ready."""
    repos = tuple(r for r in project_settings.repos if r.name in package_snapshots)
    settings = settings_from_mapping(
        {"repos": [{"name": r.name, "package": r.package} for r in repos]},
        base_dir=project_settings.base_dir,
    )
    service = SearchService.from_settings(settings, watch_changes=False)
    for snap in package_snapshots.values():
        service.adopt(snap)
    return service


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Settings]:
    """Settings with one small repository `tiny` under tmp_path/repo, made from {path: text}."""

    def make(files: dict[str, str | bytes] | None = None, **search: object) -> Settings:
        repo = tmp_path / "repo"
        repo.mkdir(exist_ok=True)
        for rel, content in (files or {}).items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return settings_from_mapping(
            {
                "repos": [{"name": "tiny", "path": "repo"}],
                "search": {"index_dir": "index", **search},
            },
            base_dir=tmp_path,
        )

    return make


@pytest.fixture
def tmp_settings(make_repo: Callable[..., Settings]) -> Settings:
    return make_repo()


@pytest.fixture
async def tmp_service(tmp_settings: Settings) -> SearchService:
    return SearchService.from_settings(tmp_settings, watch_changes=False)
