"""SearchService: the one entry point the bot, the CLI and the web app use for code search."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from bot.config import SearchConfig, Settings
from bot.errors import QueryError, SearchError
from bot.search import lookup, runner
from bot.search.chunkhound import SemanticBackend
from bot.search.direct import RepoSource
from bot.search.files import FileFilter, safe_path, watch_targets
from bot.search.index import RepoSnapshot, build, update
from bot.search.query import ParsedQuery, parse_query
from bot.search.symbols import Outliner
from bot.search.types import SearchResponse, Snippet
from bot.search.watch import watch

log = logging.getLogger(__name__)
MAX_CONTEXT = 50
INLINE_BUDGET = 0.015  # seconds a symbol query may spend scanning for references on the loop
REBUILD_AFTER = 500  # changed files folded back into the base index by a rebuild
NO_SEMANTIC = "semantic search unavailable; ranked by keywords instead"
SEMANTIC_EMPTY = "semantic index has nothing yet (still embedding?); ranked by keywords instead"


class SearchService:
    """Indexes the configured repositories in the background and answers searches meanwhile."""

    def __init__(
        self,
        *,
        sources: Sequence[RepoSource],
        config: SearchConfig | None = None,
        semantic: SemanticBackend | None = None,
        watch_changes: bool = True,
        index_dir: Path | None = None,
    ) -> None:
        self._config = config or SearchConfig()
        self._sources = {s.name: s for s in sources}
        self._semantic = semantic
        self._watch_changes = watch_changes
        self._index_dir = index_dir  # where builds keep their analyses between runs
        self._snaps: dict[str, RepoSnapshot] = {}
        self._state: dict[str, str] = {name: "pending" for name in self._sources}
        self._errors: dict[str, str] = {}
        self._pending: dict[str, set[str]] = {}
        self._update_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._idle = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._outliners = runner.OutlinerPool()

    @classmethod
    def from_settings(cls, settings: Settings, *, watch_changes: bool = True) -> SearchService:
        cfg = settings.search
        sources = []
        for repo in settings.repos:
            root = repo.root(settings.base_dir)
            flt = FileFilter(root, repo.include, repo.exclude, cfg.max_file_bytes)
            sources.append(RepoSource(repo.name, root, flt))
        semantic = SemanticBackend.from_settings(settings, sources)
        return cls(
            sources=sources,
            config=cfg,
            semantic=semantic,
            watch_changes=watch_changes,
            index_dir=settings.path(cfg.index_dir),
        )

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(self._sources)

    async def start(self) -> None:
        """Start background indexing and change watching; returns at once."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._index_all(), name="search.index"))
        if self._semantic is not None:
            task = asyncio.create_task(self._semantic.start(), name="search.semantic")
            self._tasks.append(task)
        if self._watch_changes:
            roots = {s.name: s.root for s in self._sources.values()}
            targets = [t for s in self._sources.values() for t in watch_targets(s.filter)]
            watching = watch(roots, self._changed, self._stop, targets=targets)
            task = asyncio.create_task(watching, name="search.watch")
            self._tasks.append(task)

    async def close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._semantic is not None:
            await self._semantic.close()

    async def wait_ready(self) -> None:
        """Wait until every repository is indexed (after `start()`; CLI, tests, benchmarks)."""
        await self._idle.wait()

    async def index(
        self, names: Sequence[str] | None = None, *, progress: runner.Progress | None = None
    ) -> None:
        """Build the index of `names` (all repositories by default) now."""
        for name in names or list(self._sources):
            await self._index_one(self._sources[name], progress)

    async def _index_all(self) -> None:
        for source in self._sources.values():
            if source.name not in self._snaps:  # adopted snapshots are already current
                await self._index_one(source, None)
        if not {"pending", "indexing"} & set(self._state.values()):
            self._idle.set()

    async def _index_one(self, source: RepoSource, progress: runner.Progress | None) -> None:
        self._state[source.name] = "indexing"
        self._idle.clear()
        try:
            await self._build(source, progress)
        finally:
            if not {"pending", "indexing"} & set(self._state.values()):
                self._idle.set()

    async def _build(self, source: RepoSource, progress: runner.Progress | None) -> None:
        try:
            snap = await asyncio.to_thread(
                build,
                source.name,
                source.filter,
                outliner=Outliner(),
                progress=progress,
                workers=self._config.index_workers,
                cache=self._cache_path(source.name),
            )
        except Exception as exc:  # a repository that cannot be read must not stop the others
            log.exception("search.index_failed", extra={"repo": source.name})
            self._state[source.name] = "error"
            self._errors[source.name] = str(exc)
            return
        self._snaps[source.name] = snap
        self._state[source.name] = "ready"
        log.info("search.indexed", extra={"repo": source.name, **snap.stats()})
        pending = self._pending.pop(source.name, set())
        if pending:
            await self._changed({source.name: pending})

    async def _changed(self, grouped: dict[str, set[str]]) -> None:
        async with self._update_lock:
            for name, rels in grouped.items():
                source, snap = self._sources.get(name), self._snaps.get(name)
                if source is None:
                    continue
                if snap is None or self._state.get(name) == "indexing":
                    # A build is running: it may have read the files before they changed.
                    self._pending.setdefault(name, set()).update(rels)
                if snap is None:
                    continue
                fresh = await asyncio.to_thread(
                    update, snap, sorted(rels), source.filter, outliner=Outliner()
                )
                self._snaps[name] = fresh
                if len(fresh.trigrams.stale) > REBUILD_AFTER:
                    self._tasks.append(asyncio.create_task(self._index_one(source, None)))

    async def search(
        self, query: str, *, repo: str | None = None, kind: str | None = None, limit: int = 20
    ) -> SearchResponse:
        """Answer `query`; QueryError for a bad regex or an unknown repo."""
        parsed = parse_query(query, kind)
        names = self._pick(repo)
        limit = max(1, min(limit, self._config.max_results))
        started = time.perf_counter()
        note = ""
        asks_semantic = parsed.kind == "semantic" or (parsed.kind == "text" and parsed.auto)
        if asks_semantic and not parsed.filters.narrows_files:
            semantic = self._semantic if self._semantic and self._semantic.available else None
            if semantic is not None:
                try:
                    hits = await semantic.search(parsed.text, names, limit)
                    if hits:
                        return runner.response(
                            query, "semantic", hits, len(hits), False, False, "", started
                        )
                    note = SEMANTIC_EMPTY
                except SearchError as exc:
                    log.warning("search.semantic_failed", extra={"error": str(exc)})
            if parsed.kind == "semantic":
                note = note or NO_SEMANTIC
                parsed = ParsedQuery("text", parsed.text, auto=False)
        ready = [self._snaps[n] for n in names if n in self._snaps]
        missing = [self._sources[n] for n in names if n not in self._snaps]
        if parsed.kind in ("symbol", "text") and not missing:
            # A table lookup and a few numpy sums: cheaper on the loop than a hop to a thread.
            # Reference scanning is cut at INLINE_BUDGET (the definitions come first anyway).
            found = runner.run(ready, missing, parsed, limit, INLINE_BUDGET)
        else:
            timeout = self._config.regex_timeout_seconds
            found = await asyncio.to_thread(
                self._outliners.run, ready, missing, parsed, limit, timeout
            )
        hits = runner.bounded(found.hits, self._config.max_result_chars)
        truncated = found.capped or found.total > len(hits)
        return runner.response(
            query,
            parsed.kind,
            hits,
            found.total,
            truncated,
            bool(missing),
            note,
            started,
            capped=found.capped,
        )

    async def snippet(self, repo: str, path: str, line: int, *, context: int = 5) -> Snippet:
        """Lines around `path:line`; PathOutsideRepoError for paths that leave the repository."""
        source = self._sources[self._pick(repo)[0]]
        full = safe_path(source.root, path)
        data = self._indexed_bytes(source.name, full.relative_to(source.root).as_posix())
        if data is None:  # not indexed (yet): read it
            try:
                data = await asyncio.to_thread(full.read_bytes)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise QueryError(f"There is no file '{path}' in {repo}.") from None
        lines = data.splitlines()
        if not 1 <= line <= max(len(lines), 1):
            raise QueryError(
                f"{repo}/{path} has {len(lines)} lines; line {line} is not one of them."
            )
        context = max(0, min(context, MAX_CONTEXT))
        start = max(1, line - context)
        shown = tuple(b.decode("utf-8", "replace") for b in lines[start - 1 : line + context])
        return Snippet(repo, Path(path).as_posix(), start, shown, line)

    def _indexed_bytes(self, repo: str, rel: str) -> bytes | None:
        """The file as indexed (kept current by the watcher), without a trip to the disk."""
        snap = self._snaps.get(repo)
        if snap is None:
            return None
        try:
            return snap.contents[snap.paths.index(rel)]
        except ValueError:
            return None

    async def occurs(self, text: str, repo: str) -> bool:
        """True when every word of `text` is a whole word somewhere in `repo`'s indexed files.
        The engine asks before taking a near miss for a command where any text is a search:
        "heap" in a repository that uses the word is searched, not read as a misspelt "help"."""
        snap = self._snaps.get(repo)
        return snap is not None and lookup.occurs(snap, text, timeout=INLINE_BUDGET)

    def status(self) -> dict[str, object]:
        """For /health: {"state": "ready"|"indexing"|"error", "files": int, ...}."""
        repos = {}
        totals = {"files": 0, "lines": 0, "symbols": 0, "skipped": 0}
        for name, state in self._state.items():
            snap = self._snaps.get(name)
            stats = snap.stats() if snap else {}
            for key in totals:
                totals[key] += stats.get(key, 0)
            repos[name] = {
                "state": state,
                **stats,
                **({"error": self._errors[name]} if name in self._errors else {}),
            }
        states = set(self._state.values())
        state = (
            "indexing"
            if states & {"pending", "indexing"}
            else "error"
            if "error" in states
            else "ready"
        )
        semantic = bool(self._semantic and self._semantic.available)
        return {"state": state, **totals, "repos": repos, "semantic": semantic}

    @property
    def errors(self) -> dict[str, str]:
        """Why a repository could not be indexed, by name."""
        return dict(self._errors)

    def adopt(self, snap: RepoSnapshot) -> None:
        """Use an index built elsewhere (tests and benchmarks share one build)."""
        if snap.name not in self._sources:
            raise QueryError(f"Unknown repository '{snap.name}'.")
        self._snaps[snap.name] = snap
        self._state[snap.name] = "ready"
        if not {"pending", "indexing"} & set(self._state.values()):
            self._idle.set()

    def snapshot(self, repo: str) -> RepoSnapshot | None:
        return self._snaps.get(repo)

    def _cache_path(self, repo: str) -> Path | None:
        if self._index_dir is None:
            return None
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in repo)
        return self._index_dir / f"{safe}.analyses"

    def _pick(self, repo: str | None) -> list[str]:
        if repo is None:
            return list(self._sources)
        if repo not in self._sources:
            known = ", ".join(self._sources) or "none configured"
            raise QueryError(f"Unknown repository '{repo}'; known: {known}.")
        return [repo]
