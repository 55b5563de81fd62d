"""The real code search, without background work: conversation tests pay only for the
repositories they search.

A repository is indexed the first time a test searches it and never watched for changes, so the
answers are those of a fully indexed server (no "still indexing" notes), and a suite that only
searches one repository does not index the others.
"""

from __future__ import annotations

from typing import Any

from bot.search.service import SearchService
from bot.search.types import SearchResponse


class IndexOnFirstUse(SearchService):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "watch_changes": False})
        self._indexed: set[str] = set()

    async def start(self) -> None:
        """No background indexing, watching or semantic backend: tests stay deterministic."""

    async def search(
        self, query: str, *, repo: str | None = None, kind: str | None = None, limit: int = 20
    ) -> SearchResponse:
        await self._ensure([repo] if repo else list(self.repos))
        return await super().search(query, repo=repo, kind=kind, limit=limit)

    async def occurs(self, text: str, repo: str) -> bool:
        await self._ensure([repo])
        return await super().occurs(text, repo)

    async def _ensure(self, names: list[str]) -> None:
        todo = [n for n in names if n in self.repos and n not in self._indexed]
        if todo:
            await self.index(todo)
            self._indexed.update(todo)
