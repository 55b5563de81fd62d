"""SearchService: the one entry point the bot, the CLI and the web app use for code search."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

from bot.config import SearchConfig, Settings
from bot.errors import QueryError
from bot.search.direct import RepoSource, direct_search
from bot.search.files import FileFilter, safe_path
from bot.search.query import parse_query
from bot.search.types import Hit, SearchResponse, Snippet

MAX_CONTEXT = 50


class SearchService:
    """Searches the configured repositories; see docs/search.md."""

    def __init__(
        self, *, sources: Sequence[RepoSource], config: SearchConfig | None = None
    ) -> None:
        self._config = config or SearchConfig()
        self._sources = {s.name: s for s in sources}
        self._state = "indexing"

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchService:
        cfg = settings.search
        sources = []
        for repo in settings.repos:
            root = repo.root(settings.base_dir)
            flt = FileFilter(root, repo.include, repo.exclude, cfg.max_file_bytes)
            sources.append(RepoSource(repo.name, root, flt))
        return cls(sources=sources, config=cfg)

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(self._sources)

    async def start(self) -> None:
        """Start background indexing and change watching; returns at once."""

    async def close(self) -> None:
        """Stop background work."""

    async def search(
        self, query: str, *, repo: str | None = None, kind: str | None = None, limit: int = 20
    ) -> SearchResponse:
        """Answer `query`; QueryError for a bad regex or an unknown repo."""
        parsed = parse_query(query, kind)
        sources = self._pick(repo)
        limit = max(1, min(limit, self._config.max_results))
        started = time.perf_counter()
        found = await asyncio.to_thread(
            direct_search, sources, parsed, limit, timeout=self._config.regex_timeout_seconds
        )
        hits = _bounded(found.hits, self._config.max_result_chars)
        return SearchResponse(
            query=query,
            kind=parsed.kind,
            hits=tuple(hits),
            total=found.total,
            truncated=found.total > len(hits),
            incomplete=False,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    async def snippet(self, repo: str, path: str, line: int, *, context: int = 5) -> Snippet:
        """Lines around `path:line`; PathOutsideRepoError for paths that leave the repository."""
        source = self._pick(repo)[0]
        full = safe_path(source.root, path)
        try:
            data = await asyncio.to_thread(full.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise QueryError(f"There is no file '{path}' in {repo}.") from None
        lines = data.decode("utf-8", "replace").splitlines()
        if not 1 <= line <= max(len(lines), 1):
            raise QueryError(
                f"{repo}/{path} has {len(lines)} lines; line {line} is not one of them."
            )
        context = max(0, min(context, MAX_CONTEXT))
        start = max(1, line - context)
        shown = tuple(lines[start - 1 : line + context])
        return Snippet(repo, Path(path).as_posix(), start, shown, line)

    def status(self) -> dict[str, object]:
        return {"state": "ready", "repos": list(self._sources), "files": 0}

    def _pick(self, repo: str | None) -> list[RepoSource]:
        if repo is None:
            return list(self._sources.values())
        source = self._sources.get(repo)
        if source is None:
            known = ", ".join(self._sources) or "none configured"
            raise QueryError(f"Unknown repository '{repo}'; known: {known}.")
        return [source]


def _bounded(hits: list[Hit], max_chars: int) -> list[Hit]:
    """Keep hits until their text reaches `max_chars`, so a reply stays readable."""
    kept: list[Hit] = []
    used = 0
    for hit in hits:
        used += len(hit.text) + len(hit.path) + 20
        if used > max_chars and kept:
            break
        kept.append(hit)
    return kept
