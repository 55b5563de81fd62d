from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings, settings_from_mapping
from bot.search.service import SearchService

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The shipped config.yaml: repos codechat (this repo), jinja2 and aiohttp."""
    return load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    repo = tmp_path / "repo"
    repo.mkdir()
    return settings_from_mapping(
        {"repos": [{"name": "tiny", "path": "repo"}], "search": {"index_dir": "index"}},
        base_dir=tmp_path,
    )


@pytest.fixture
async def tmp_service(tmp_settings: Settings) -> SearchService:
    return SearchService.from_settings(tmp_settings)
