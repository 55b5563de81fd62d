"""Search results reused while the repository is unchanged, and never after it changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.cache import MemoryBackend, SharedCache
from bot.config import CacheConfig, SearchConfig, Settings
from bot.search.resultcache import ResultCache
from bot.search.service import SearchService


def with_cache(service: SearchService) -> SharedCache:
    cache = SharedCache(MemoryBackend(max_bytes=1_000_000, max_entries=100), config=CacheConfig())
    service.use_cache(ResultCache(cache, index_version=service.version))
    return cache


async def test_a_repeated_search_comes_from_the_cache_with_the_same_hits(
    make_repo: Callable[..., Settings],
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    return 1\n\n\ndef beta():\n    alpha()\n"})
    service = SearchService.from_settings(settings, watch_changes=False)
    cache = with_cache(service)
    await service.index()

    first = await service.search("alpha")
    again = await service.search("alpha")

    assert again.hits == first.hits and [h.line for h in first.hits][:1] == [1]
    assert (again.total, again.kind) == (first.total, first.kind)
    assert (cache.stats["search"].misses, cache.stats["search"].hits) == (1, 1)
    # Another limit or another kind is another search.
    await service.search("alpha", limit=1)
    await service.search("/alpha/")
    assert cache.stats["search"].misses == 3


async def test_after_a_file_changes_the_search_sees_the_change(
    make_repo: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_repo({"a.py": "x = 1\n"})
    service = SearchService.from_settings(settings)
    with_cache(service)
    await service.start()
    await asyncio.wait_for(service.wait_ready(), 10)
    try:
        assert not (await service.search("/freshly_added/")).hits
        (tmp_path / "repo" / "b.py").write_text("def freshly_added():\n    pass\n")
        for _ in range(100):
            response = await service.search("/freshly_added/")
            if response.hits:
                break
            await asyncio.sleep(0.05)
        assert [h.path for h in response.hits] == ["b.py"]
    finally:
        await service.close()


async def test_results_of_an_index_still_being_built_are_not_kept(
    make_repo: Callable[..., Settings],
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    return 1\n"})
    service = SearchService.from_settings(settings, watch_changes=False)
    cache = with_cache(service)

    before = await service.search("/def alpha/")

    assert before.incomplete
    assert "search" not in cache.stats or cache.stats["search"].stores == 0
    await service.index()
    after = await service.search("/def alpha/")
    assert not after.incomplete and after.hits[0].symbol == "alpha"


async def test_other_search_settings_are_other_keys() -> None:
    cache = SharedCache(MemoryBackend(max_bytes=1000, max_entries=10))

    async def version(repo: str) -> str:
        return "v1"

    short = ResultCache(cache, index_version=version, config=SearchConfig(max_result_chars=100))
    long = ResultCache(cache, index_version=version, config=SearchConfig(max_result_chars=9000))
    assert await short.key("alpha", ["tiny"], None, 20) != await long.key(
        "alpha", ["tiny"], None, 20
    )
