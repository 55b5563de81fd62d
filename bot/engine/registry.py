"""The live flows: load, validate and compile a flows directory; swap in edits atomically.

An invalid edit keeps the previous version live and logs every problem.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from bot.config import NluConfig
from bot.engine.actions import ActionRegistry
from bot.engine.conversation import DEFAULT_MESSAGES
from bot.engine.machine import CompiledFlows, example_keys
from bot.errors import FlowError, Problem
from bot.flows.checkcache import CheckCache, Checked, check_key
from bot.flows.loader import flow_files, load_flows, problem_order, source_version
from bot.flows.model import FlowSet
from bot.flows.templates import TemplateCache
from bot.flows.variables import ActionInfo

log = logging.getLogger("bot.flows")


def check_flows(
    directory: Path,
    *,
    actions: ActionRegistry,
    nlu: NluConfig,
    base: Path | None = None,
    cache: CheckCache | None = None,
) -> tuple[FlowSet | None, list[Problem], TemplateCache]:
    """Load and validate: the flows (None when nothing loaded) and every problem, warnings too.
    With a ``cache``, neither is done again when the same flow files were loaded and checked
    against the same actions, threshold and messages by the same code before: the flows and
    the problems are read back (bot/flows/checkcache.py)."""
    flows, problems, templates, _keys = _checked(directory, actions, nlu, base, cache)
    return flows, problems, templates


def _checked(
    directory: Path,
    actions: ActionRegistry,
    nlu: NluConfig,
    base: Path | None,
    cache: CheckCache | None,
) -> tuple[FlowSet | None, list[Problem], TemplateCache, dict[str, str] | None]:
    """``check_flows``, and with a cache the matcher's key of every example (kept with the
    check: computing them costs most of compiling the flows; None without a cache)."""
    infos = {s.name: ActionInfo(s.params, s.sets) for s in actions.specs()}
    messages = frozenset(DEFAULT_MESSAGES)
    key = named = None
    sources = _sources(directory) if cache is not None else None
    if cache is not None and sources is not None:
        where = {
            "directory": str(directory),
            "base": str(base),
            "cwd": _cwd(),  # names are shown from there without a base
            "files": [str(path) for path, _raw in sources],
        }
        against = {
            "actions": {name: [info.params, info.sets] for name, info in infos.items()},
            "threshold": nlu.threshold,
            "messages": messages,
        }
        named = [(path.name, raw) for path, raw in sources]
        key = check_key(named, where, against)
        entry = cache.get(key)
        if entry is not None:
            return entry.flows, entry.problems, TemplateCache(), entry.example_keys
    templates = TemplateCache()
    flows, problems = load_flows(directory, base=base)
    keys = None
    if flows is not None:
        from bot.flows.validate import validate  # only when no cached check serves

        problems += validate(
            flows,
            actions=infos,
            templates=templates,
            threshold=nlu.threshold,
            messages=messages,
        )
    problems = sorted(problems, key=problem_order)
    # Kept only when the loader read what the key was made of (no edit in between).
    fresh = flows is not None and named is not None and flows.version == source_version(named)
    if cache is not None and key is not None and flows is not None and fresh:
        keys = example_keys(flows)
        cache.put(key, Checked(flows, problems, keys))
    return flows, problems, templates, keys


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # removed from under us: then no name is shown from it either
        return ""


def _sources(directory: Path) -> list[tuple[Path, bytes]] | None:
    """The flow files as the loader will read them; None when there are none (or one cannot
    be read): then nothing is cached, and the loader reports what is wrong."""
    try:
        files = flow_files(directory) if directory.is_dir() else []
        return [(path, path.read_bytes()) for path in files] or None
    except OSError:
        return None


def compile_flows(
    directory: Path,
    *,
    actions: ActionRegistry,
    nlu: NluConfig,
    base: Path | None = None,
    cache: CheckCache | None = None,
) -> tuple[CompiledFlows | None, list[Problem]]:
    """Load, validate and compile; the compiled flows are None when there is any error.
    Warnings (like intents that collide) are returned with compiled flows."""
    flows, problems, templates, keys = _checked(directory, actions, nlu, base, cache)
    if flows is None or any(p.severity == "error" for p in problems):
        return None, problems
    return CompiledFlows(flows, nlu=nlu, templates=templates, example_keys=keys), problems


class FlowRegistry:
    def __init__(
        self,
        directory: Path,
        *,
        actions: ActionRegistry,
        nlu: NluConfig,
        base: Path | None = None,
        check_cache: Path | None = None,
    ) -> None:
        """``check_cache``: a file that keeps the last full check of the flows (see
        bot/flows/checkcache.py); None checks them in full every time."""
        self.directory = directory
        self.actions = actions
        self.nlu = nlu
        self.base = base
        self.cache = CheckCache(check_cache) if check_cache is not None else None
        self.listeners: list[Callable[[CompiledFlows], None]] = []
        compiled, problems = compile_flows(
            directory, actions=actions, nlu=nlu, base=base, cache=self.cache
        )
        if compiled is None:
            raise FlowError(problems)
        _log_warnings(problems)
        self._current = compiled
        self._fingerprint = self._scan()
        self.last_problems: list[Problem] = problems
        self._lock = asyncio.Lock()

    @property
    def current(self) -> CompiledFlows:
        return self._current

    def reload(self) -> list[Problem]:
        """Recompile; on success swap the new version in. Returns the errors that kept the old
        version live (empty: the new version is live, or nothing changed)."""
        compiled, problems = compile_flows(
            self.directory, actions=self.actions, nlu=self.nlu, base=self.base, cache=self.cache
        )
        return self._swap(compiled, problems)

    async def reload_async(self) -> list[Problem]:
        """``reload`` off the event loop: turns keep running while the new version compiles."""
        async with self._lock:
            compiled, problems = await asyncio.to_thread(
                compile_flows,
                self.directory,
                actions=self.actions,
                nlu=self.nlu,
                base=self.base,
                cache=self.cache,
            )
            return self._swap(compiled, problems)

    def _swap(self, compiled: CompiledFlows | None, problems: list[Problem]) -> list[Problem]:
        self.last_problems = problems
        if compiled is None:
            errors = [p for p in problems if p.severity == "error"]
            log.error(
                "flows.reload_rejected",
                extra={"fields": {"errors": len(errors), "live_version": self._current.version}},
            )
            for problem in problems:
                log.error("flows.reload_problem", extra={"fields": _problem_fields(problem)})
            return problems
        _log_warnings(problems)
        if compiled.version != self._current.version:
            old, self._current = self._current.version, compiled  # one assignment: atomic
            log.info(
                "flows.reloaded", extra={"fields": {"version": compiled.version, "previous": old}}
            )
            for listener in self.listeners:
                listener(compiled)
        return []

    def changed(self) -> bool:
        fingerprint = self._scan()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        return True

    async def watch(self, *, interval: float = 0.5, settle: float = 0.05) -> None:
        """Poll the flow files (and prompts) and reload on change; runs until cancelled.

        After a change, wait ``settle`` seconds until the files stop changing, so an editor's
        save in several writes is read once, whole."""
        while True:
            await asyncio.sleep(interval)
            if not self.changed():
                continue
            for _ in range(20):
                await asyncio.sleep(settle)
                if not self.changed():
                    break
            try:
                await self.reload_async()
            except Exception:  # a reload must never stop the watcher
                log.exception("flows.reload_failed")

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        # Prompts are not watched here: the prompt library reloads an edited template itself.
        seen: list[tuple[str, int, int]] = []
        if self.directory.is_dir():
            for path in sorted(self.directory.rglob("*")):
                if path.is_file() and path.suffix in {".yaml", ".yml"}:
                    stat = path.stat()
                    seen.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(seen)


def _log_warnings(problems: list[Problem]) -> None:
    for problem in problems:
        if problem.severity == "warning":
            log.warning("flows.warning", extra={"fields": _problem_fields(problem)})


def _problem_fields(problem: Problem) -> dict[str, object]:
    """A problem as log fields, so the event name stays the same whatever the problem."""
    return {
        "file": problem.file,
        "line": problem.line,
        "problem": problem.message,
        "code": problem.code,
        "severity": problem.severity,
    }
