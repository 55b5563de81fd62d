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


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = reader.read_one
    monkeypatch.setattr(
        reader, "read_one", lambda o, root, rel, m: parsed.append(rel) or real(o, root, rel, m)
    )
    return parsed


async def test_a_restart_with_nothing_changed_leaves_the_cache_as_it_is(
    make_repo: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    pass\n", "b.py": "def beta():\n    pass\n"})
    assert await _symbols(settings) == ["alpha", "beta"]
    cache = tmp_path / "index" / "tiny.analyses"
    written = cache.stat()
    parsed = _count_parses(monkeypatch)
    assert await _symbols(settings) == ["alpha", "beta"]
    assert parsed == []
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


async def test_a_damaged_cache_is_written_anew(
    make_repo: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    pass\n", "b.py": "def beta():\n    pass\n"})
    assert await _symbols(settings) == ["alpha", "beta"]
    (tmp_path / "index" / "tiny.analyses").write_bytes(b"\x80\x05not a pickle")
    assert await _symbols(settings) == ["alpha", "beta"]  # parsed again, nothing changed
    parsed = _count_parses(monkeypatch)
    assert await _symbols(settings) == ["alpha", "beta"]
    assert parsed == []
