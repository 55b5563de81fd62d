"""A restart re-parses only what changed; a broken cache file costs nothing but time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.search import reader
from bot.search.service import SearchService


async def _symbols(settings: Settings) -> list[str]:
    service = SearchService.from_settings(settings, watch_changes=False)
    await service.index()
    response = await service.search("/def /")
    return sorted(h.symbol or "" for h in response.hits)


async def test_unchanged_files_are_not_parsed_again(
    make_repo: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    pass\n", "b.py": "def beta():\n    pass\n"})
    assert await _symbols(settings) == ["alpha", "beta"]
    assert (tmp_path / "index" / "tiny.analyses").is_file()

    parsed: list[str] = []
    real = reader.read_one
    monkeypatch.setattr(
        reader, "read_one", lambda o, root, rel, m: parsed.append(rel) or real(o, root, rel, m)
    )
    (tmp_path / "repo" / "b.py").write_text("def beta_renamed():\n    return 2\n")
    assert await _symbols(settings) == ["alpha", "beta_renamed"]
    assert parsed == ["b.py"]


async def test_a_damaged_cache_is_ignored(
    make_repo: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    pass\n"})
    assert await _symbols(settings) == ["alpha"]
    (tmp_path / "index" / "tiny.analyses").write_bytes(b"\x80\x05not a pickle")
    assert await _symbols(settings) == ["alpha"]
