"""Search results reused while the repositories searched are unchanged.

Keyed by the query as typed (regular expressions and names are case-sensitive), its kind, the
result limit, the search settings and the indexed version of each repository searched; results
of an index still being built are not kept, and neither are semantic ones (that index has no
version here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence

from bot.cache import SharedCache
from bot.config import SearchConfig
from bot.search.types import Hit, SearchResponse

KIND = "search"


class ResultCache:
    def __init__(
        self,
        cache: SharedCache,
        *,
        index_version: Callable[[str], Awaitable[str | None]],
        config: SearchConfig | None = None,
    ) -> None:
        self.cache = cache
        self._index_version = index_version
        self._settings = dataclasses.asdict(config or SearchConfig())

    async def key(
        self, query: str, repos: Sequence[str], kind: str | None, limit: int
    ) -> str | None:
        versions = {}
        for name in repos:
            version = await self._index_version(name)
            if version is None:
                return None
            versions[name] = version
        material = {
            "query": query.strip(),
            "kind": kind,
            "limit": limit,
            "index": versions,
            "settings": self._settings,
        }
        return self.cache.key(KIND, material)

    async def get(self, key: str) -> SearchResponse | None:
        value = await self.cache.get(KIND, key)
        if not isinstance(value, dict):
            return None
        try:
            hits = tuple(Hit(**h) for h in value.pop("hits"))
            return SearchResponse(**{**value, "hits": hits})
        except (TypeError, KeyError, AttributeError):  # another version's shape: a miss
            return None

    async def put(self, key: str, response: SearchResponse) -> None:
        if response.incomplete or response.kind == "semantic":
            return
        value = dataclasses.asdict(response)
        await self.cache.put(KIND, key, value, ttl_seconds=self.cache.config.search_ttl_seconds)
