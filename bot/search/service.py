"""SearchService: the one entry point the bot, the CLI and the web app use for code search.

The index and query modules (numpy, tree-sitter, the regex engines) are imported by the first
build, in its thread, or by the first query: a bot that has not searched yet has not paid for
them, and `python -m bot chat` answers its first message while the index loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import SearchConfig, Settings
from bot.errors import QueryError, SearchError
from bot.search.files import FileFilter, RepoSource, read_admitted, safe_path, watch_targets
from bot.search.permalink import permalink, template_for
from bot.search.types import Hit, SearchResponse, Snippet
from bot.search.version import IndexVersions

if TYPE_CHECKING:
    from bot.search.chunkhound import SemanticBackend
    from bot.search.index import RepoSnapshot
    from bot.search.query import ParsedQuery
    from bot.search.resultcache import ResultCache
    from bot.search.runner import OutlinerPool, Progress
from bot.search.shown import ShownCode
from bot.secrets import SecretMasker

log = logging.getLogger(__name__)
MAX_CONTEXT = 50
INLINE_BUDGET = 0.015  # seconds a symbol query may spend scanning for references on the loop
# Whether words occur in the code: at most this much code read per word (about 10 ms here), and
# a safety net of time, so the answer does not change with the load on the machine.
OCCURS_MAX_BYTES = 8 * 1024 * 1024
OCCURS_TIMEOUT = 0.25
REBUILD_AFTER = 500  # changed files folded back into the base index by a rebuild
FETCHING = "still getting the code of {names} from git: ask again in a minute"
FETCH_FAILED = "could not get the code of {names} from git (operators: see /health)"
NO_SEMANTIC = "semantic search unavailable; ranked by keywords instead"
SEMANTIC_EMPTY = "semantic index has nothing yet (still embedding?); ranked by keywords instead"
# A reference asked of a name that nothing refers to: its definition is shown instead
NO_REFERENCES = {
    "calls": "nothing in the code calls {name}; where it is defined",
    "uses": "nothing in the code uses {name}; where it is defined",
    "imports": "nothing in the code imports {name}; where it is defined",
    "tests": "no test uses {name}; where it is defined",
}


class SearchService:
    """Indexes the configured repositories in the background and answers searches meanwhile.

    ``before_first_query`` is awaited by the first query (and by any made meanwhile) before it
    reads the index. The terminal chat passes one that starts the indexing if need be and waits
    for the whole index: a chat is short, so its first search should not be answered from part
    of the index with a "still indexing" note."""

    def __init__(
        self,
        *,
        sources: Sequence[RepoSource],
        config: SearchConfig | None = None,
        semantic: SemanticBackend | None = None,
        watch_changes: bool = True,
        index_dir: Path | None = None,
        before_first_query: Callable[[], Awaitable[None]] | None = None,
        masker: SecretMasker | None = None,
        fetched: Sequence[str] = (),
        links: Mapping[str, str] | None = None,
    ) -> None:
        """``fetched`` names the repositories whose files come from git: they are indexed
        once their first checkout is ready (`apply`), and changed by `apply`, not watched.
        ``links`` maps them to their permalink templates (bot/search/permalink.py)."""
        self._config = config or SearchConfig()
        self._masking = ShownCode(masker or SecretMasker(), self._indexed_bytes)
        self._sources = {s.name: s for s in sources}
        self._semantic = semantic
        self._watch_changes = watch_changes
        self._before_first_query = before_first_query
        self._first_query: asyncio.Future[None] | None = None
        self._index_dir = index_dir  # where builds keep their analyses between runs
        self._snaps: dict[str, RepoSnapshot] = {}
        self._state: dict[str, str] = {name: "pending" for name in self._sources}
        self._fetched = frozenset(fetched)
        for name in self._fetched:
            self._state[name] = "fetching"
        self._details: Callable[[str], dict[str, object]] | None = None
        self._links = dict(links or {})
        self._commits: dict[str, str] = {}  # the commit each git repository's index holds
        self._errors: dict[str, str] = {}
        self._pending: dict[str, set[str]] = {}
        self._update_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._idle = asyncio.Event()
        self._watching = asyncio.Event()  # set once changes are followed (or cannot be)
        self._tasks: list[asyncio.Task[None]] = []
        self._versions = IndexVersions()
        self._results: ResultCache | None = None
        self._observe: Callable[[float], None] | None = None
        self._outliners: OutlinerPool | None = None  # with the first query that needs one

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        watch_changes: bool = True,
        before_first_query: Callable[[], Awaitable[None]] | None = None,
    ) -> SearchService:
        cfg = settings.search
        sources = []
        repos_dir = settings.path(cfg.repos_dir)
        for repo in settings.repos:
            root = repo.root(settings.base_dir, repos_dir=repos_dir)
            flt = FileFilter(root, repo.include, repo.exclude, cfg.max_file_bytes)
            sources.append(RepoSource(repo.name, root, flt))
        semantic = None
        if cfg.embedding_base_url:  # the one setting semantic search cannot do without
            from bot.search.chunkhound import SemanticBackend

            semantic = SemanticBackend.from_settings(settings, sources)
        return cls(
            sources=sources,
            config=cfg,
            semantic=semantic,
            watch_changes=watch_changes,
            index_dir=settings.path(cfg.index_dir),
            before_first_query=before_first_query,
            masker=SecretMasker.from_config(settings.secrets),
            fetched=[r.name for r in settings.repos if r.git],
            links={r.name: template_for(r.git, r.web_url) for r in settings.repos if r.git},
        )

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(self._sources)

    async def start(self) -> None:
        """Start background indexing and change watching; returns at once."""
        if self._tasks:
            return
        if not self._watch_changes:
            self._watching.set()
        self._tasks.append(asyncio.create_task(self._index_all(), name="search.index"))
        if self._semantic is not None:
            task = asyncio.create_task(self._semantic.start(), name="search.semantic")
            self._tasks.append(task)
        if self._watch_changes:
            self._tasks.append(asyncio.create_task(self._watch(), name="search.watch"))

    async def _watch(self) -> None:
        # Reading the .gitignore files and loading watchfiles happen off the event loop, like
        # the indexing: a chat answers its first message meanwhile.
        sources = [s for s in self._sources.values() if s.name not in self._fetched]
        if not sources:
            self._watching.set()
            return
        try:
            watch, targets = await asyncio.to_thread(_watch_setup, sources)
        except OSError as exc:  # a root that cannot be listed: searched, not followed
            log.warning("search.watch_failed", extra={"error": str(exc)})
            self._watching.set()
            return
        roots = {s.name: s.root for s in sources}
        # watch() starts its threads before it first waits, so before the build starts reading.
        self._watching.set()
        await watch(roots, self._changed, self._stop, targets=targets)

    async def close(self) -> None:
        self._stop.set()
        waiting = [self._first_query] if self._first_query is not None else []
        for task in [*self._tasks, *waiting]:
            task.cancel()
        for task in [*self._tasks, *waiting]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._semantic is not None:
            await self._semantic.close()

    async def wait_ready(self) -> None:
        """Wait until every repository is indexed (after `start()`; CLI, tests, benchmarks)."""
        await self._idle.wait()

    async def index(
        self, names: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> None:
        """Build the index of `names` (all repositories by default) now."""
        for name in names or list(self._sources):
            await self._index_one(self._sources[name], progress)

    async def _index_all(self) -> None:
        # Changes are followed before the files are read: none made meanwhile is missed.
        await self._watching.wait()
        for source in self._sources.values():
            # Adopted snapshots are already current; git checkouts are indexed when ready.
            if source.name not in self._snaps and source.name not in self._fetched:
                await self._index_one(source, None)
        self._settle()

    async def _index_one(
        self, source: RepoSource, progress: Progress | None, commit: str = ""
    ) -> None:
        self._state[source.name] = "indexing"
        self._idle.clear()
        try:
            await self._build(source, progress, commit)
        finally:
            self._settle()

    def _settle(self) -> None:
        if not {"pending", "indexing", "fetching"} & set(self._state.values()):
            self._idle.set()

    async def _build(self, source: RepoSource, progress: Progress | None, commit: str) -> None:
        try:
            snap = await asyncio.to_thread(
                _built,
                source,
                progress=progress,
                workers=self._config.index_workers,
                cache=self._cache_path(source.name),
            )
        except Exception as exc:  # a repository that cannot be read must not stop the others
            log.exception("search.index_failed", extra={"repo": source.name})
            # The last good index (if any) keeps answering.
            self._state[source.name] = "ready" if source.name in self._snaps else "error"
            self._errors[source.name] = str(exc)
            return
        self._snaps[source.name] = snap
        if commit:
            self._commits[source.name] = commit  # with the snapshot: links match the index
        self._state[source.name] = "ready"
        self._errors.pop(source.name, None)
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
                fresh = await asyncio.to_thread(_updated, snap, sorted(rels), source)
                self._snaps[name] = fresh
                if len(fresh.trigrams.stale) > REBUILD_AFTER:
                    self._tasks.append(asyncio.create_task(self._index_one(source, None)))

    async def apply(self, name: str, rels: Sequence[str] | None, commit: str = "") -> None:
        """Re-index the files ``rels`` of ``name`` after its checkout moved to ``commit`` (git;
        the caller keeps the checkout still meanwhile; None: every file). The new index
        replaces the old one at once: a search sees the old commit's files or the new one's,
        never a mix."""
        source = self._sources[name]
        if rels is None or name not in self._snaps or len(rels) > REBUILD_AFTER:
            await self._index_one(source, None, commit)  # swaps the whole snapshot when done
            return
        async with self._update_lock:
            fresh = await asyncio.to_thread(_updated, self._snaps[name], sorted(rels), source)
            self._snaps[name] = fresh
            if commit:
                self._commits[name] = commit
        if len(fresh.trigrams.stale) > REBUILD_AFTER:
            await self._index_one(source, None, commit)

    def commit(self, name: str) -> str:
        """The commit the index of git repository ``name`` was built from; "" before."""
        return self._commits.get(name, "")

    def fail(self, name: str, error: str) -> None:
        """Record that ``name`` could not be fetched; an index it already has keeps serving."""
        if name not in self._snaps:
            self._state[name] = "error"
        self._errors[name] = error
        self._settle()

    def recovered(self, name: str) -> None:
        """``name`` was fetched again after a failure: its error is over."""
        self._errors.pop(name, None)
        if name in self._snaps:
            self._state[name] = "ready"

    def describe_with(self, details: Callable[[str], dict[str, object]]) -> None:
        """Add ``details(name)`` (the git commit, when it was fetched) to each repository's
        entry in `status`."""
        self._details = details

    def use_cache(self, results: ResultCache | None) -> None:
        """Answer repeated searches of an unchanged index from ``results``."""
        self._results = results

    def time_queries(self, observe: Callable[[float], None] | None) -> None:
        """Report each query's seconds to ``observe`` (the web app's bot_search_seconds)."""
        self._observe = observe

    async def version(self, repo: str) -> str | None:
        """The indexed version of ``repo`` (a digest of its indexed files); None before it has
        been indexed or for an unknown name."""
        snap = self._snaps.get(repo)
        return None if snap is None else await self._versions.of(snap)

    async def search(
        self, query: str, *, repo: str | None = None, kind: str | None = None, limit: int = 20
    ) -> SearchResponse:
        """Answer `query`; QueryError for a bad regex or an unknown repo."""
        if self._observe is None:
            return await self._answer(query, repo=repo, kind=kind, limit=limit)
        started = time.perf_counter()
        try:
            return await self._answer(query, repo=repo, kind=kind, limit=limit)
        finally:
            self._observe(time.perf_counter() - started)

    async def _answer(
        self, query: str, *, repo: str | None, kind: str | None, limit: int
    ) -> SearchResponse:
        results = self._results
        if results is None or (self._semantic is not None and self._semantic.available):
            return await self._search(query, repo=repo, kind=kind, limit=limit)
        started = time.perf_counter()
        limit = max(1, min(limit, self._config.max_results))
        key = await results.key(query, self._pick(repo), kind, limit)
        hit = await results.get(key) if key is not None else None
        if hit is not None:
            return dataclasses.replace(hit, elapsed_ms=(time.perf_counter() - started) * 1000)
        response = await self._search(query, repo=repo, kind=kind, limit=limit)
        if key is not None:
            await results.put(key, response)
        return response

    async def _search(
        self, query: str, *, repo: str | None, kind: str | None, limit: int
    ) -> SearchResponse:
        from bot.search import runner
        from bot.search.query import ParsedQuery, parse_query

        parsed = parse_query(query, kind)
        names = self._pick(repo)
        await self._first_query_waits()
        limit = max(1, min(limit, self._config.max_results))
        started = time.perf_counter()
        note = ""
        asks_semantic = parsed.kind == "semantic" or (parsed.kind == "text" and parsed.auto)
        if asks_semantic and not parsed.filters.narrows_files:
            semantic = self._semantic if self._semantic and self._semantic.available else None
            if semantic is not None:
                try:
                    commits = {n: self._commits[n] for n in names if n in self._commits}
                    hits = self._linked(
                        self._masking.hits(await semantic.search(parsed.text, names, limit), None),
                        commits,
                    )
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
        commits = {n: self._commits[n] for n in names if n in self._commits}  # with `ready`
        fetching = [n for n in names if n not in self._snaps and n in self._fetched]
        missing = [self._sources[n] for n in names if n not in self._snaps and n not in fetching]
        if fetching:
            failed = self._state.get(fetching[0]) == "error"
            note = note or (FETCH_FAILED if failed else FETCHING).format(names=", ".join(fetching))
        if parsed.kind in ("symbol", "text") and not missing:
            # A table lookup and a few numpy sums: cheaper on the loop than a hop to a thread.
            # Reference scanning is cut at INLINE_BUDGET (the definitions come first anyway).
            found = runner.run(ready, missing, parsed, limit, INLINE_BUDGET)
        else:
            timeout = self._config.regex_timeout_seconds
            if self._outliners is None:
                self._outliners = runner.OutlinerPool()
            found = await asyncio.to_thread(
                self._outliners.run, ready, missing, parsed, limit, timeout
            )
        if parsed.kind == "reference" and not found.hits and ready:
            # "who calls render" where nothing does: say so, beside where it is defined
            defined = runner.run(ready, [], _definitions_of(parsed), limit, INLINE_BUDGET)
            if defined.hits:
                found = defined
                relation = NO_REFERENCES.get(parsed.relation or "uses", NO_REFERENCES["uses"])
                note = note or relation.format(name=parsed.text)
        hits = runner.bounded(
            self._linked(self._masking.hits(found.hits, parsed), commits),
            self._config.max_result_chars,
        )
        truncated = found.capped or found.total > len(hits)
        return runner.response(
            query,
            parsed.kind,
            hits,
            found.total,
            truncated,
            bool(missing or fetching),
            note,
            started,
            capped=found.capped,
        )

    def _linked(self, hits: list[Hit], commits: Mapping[str, str]) -> list[Hit]:
        """``hits`` with the permalinks of the commits their index was built from."""
        if not commits:
            return hits
        return [
            dataclasses.replace(
                h,
                url=permalink(self._links.get(h.repo, ""), commits.get(h.repo, ""), h.path, h.line),
            )
            if h.repo in commits
            else h
            for h in hits
        ]

    async def snippet(self, repo: str, path: str, line: int, *, context: int = 5) -> Snippet:
        """Lines around `path:line`; PathOutsideRepoError for paths that leave the repository."""
        source = self._sources[self._pick(repo)[0]]
        full = safe_path(source.root, path)
        data = self._indexed_bytes(source.name, full.relative_to(source.root).as_posix())
        if data is None:  # not indexed (yet): read it if the index would hold it
            rel = full.relative_to(source.root).as_posix()
            data = await asyncio.to_thread(read_admitted, source.filter, rel)
            if data is None:
                raise QueryError(f"There is no file '{path}' in {repo}.")
        lines = data.splitlines()
        if not 1 <= line <= max(len(lines), 1):
            raise QueryError(
                f"{repo}/{path} has {len(lines)} lines; line {line} is not one of them."
            )
        context = max(0, min(context, MAX_CONTEXT))
        start = max(1, line - context)
        shown = [b.decode("utf-8", "replace") for b in lines[start - 1 : line + context]]
        masked = tuple(self._masking.lines(data, shown, start))
        return Snippet(repo, Path(path).as_posix(), start, masked, line)

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
        from bot.search import lookup

        await self._first_query_waits()
        snap = self._snaps.get(repo)
        return snap is not None and lookup.occurs(
            snap, text, timeout=OCCURS_TIMEOUT, max_bytes=OCCURS_MAX_BYTES
        )

    def defines(self, name: str, repo: str) -> bool:
        """True when `repo` defines a function, class or other symbol called `name`."""
        snap = self._snaps.get(repo)
        return snap is not None and name.strip().lower() in snap.defs

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
                **(self._details(name) if self._details and name in self._fetched else {}),
            }
        states = set(self._state.values())
        state = (
            "indexing"
            if states & {"pending", "indexing", "fetching"}
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
        self._settle()

    def snapshot(self, repo: str) -> RepoSnapshot | None:
        return self._snaps.get(repo)

    async def _first_query_waits(self) -> None:
        if self._before_first_query is None:
            return
        if self._first_query is None:
            self._first_query = asyncio.ensure_future(self._before_first_query())
        await asyncio.shield(self._first_query)  # one query given up does not stop the others

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


def _built(
    source: RepoSource, *, progress: Progress | None, workers: int, cache: Path | None
) -> RepoSnapshot:
    from bot.search.index import build
    from bot.search.symbols import Outliner

    # The query modules (the regex engines) load here too, in the indexing thread, so that
    # the first search after the build finds them loaded.
    importlib.import_module("bot.search.runner")
    return build(
        source.name,
        source.filter,
        outliner=Outliner(),
        progress=progress,
        workers=workers,
        cache=cache,
    )


def _updated(snap: RepoSnapshot, rels: list[str], source: RepoSource) -> RepoSnapshot:
    from bot.search.index import update
    from bot.search.symbols import Outliner

    return update(snap, rels, source.filter, outliner=Outliner())


def _watch_setup(
    sources: list[RepoSource],
) -> tuple[Callable[..., Awaitable[None]], list[Path]]:
    from bot.search.watch import watch

    return watch, [t for s in sources for t in watch_targets(s.filter)]


def _definitions_of(parsed: ParsedQuery) -> ParsedQuery:
    """Where the name a reference query asks about is defined, with the same qualifiers."""
    from bot.search.query import ParsedQuery

    return ParsedQuery("symbol", parsed.text, auto=False, filters=parsed.filters, relation="defs")
