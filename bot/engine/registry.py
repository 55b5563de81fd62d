"""The live flows: load, validate and compile a flows directory; swap in edits atomically.

An invalid edit keeps the previous version live and logs every problem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bot.config import NluConfig
from bot.engine.actions import ActionRegistry
from bot.engine.machine import CompiledFlows
from bot.errors import FlowError, Problem
from bot.flows.loader import load_flows
from bot.flows.templates import TemplateCache
from bot.flows.validate import validate

log = logging.getLogger("bot.flows")


def compile_flows(
    directory: Path, *, actions: ActionRegistry, nlu: NluConfig, base: Path | None = None
) -> tuple[CompiledFlows | None, list[Problem]]:
    """Load, validate and compile; the compiled flows are None when there is any problem."""
    flows, problems = load_flows(directory, base=base)
    if flows is None:
        return None, problems
    templates = TemplateCache()
    problems += validate(flows, actions=actions.names(), templates=templates)
    if problems:
        return None, sorted(problems, key=lambda p: (p.file, p.line))
    return CompiledFlows(flows, nlu=nlu, templates=templates), []


class FlowRegistry:
    def __init__(
        self,
        directory: Path,
        *,
        actions: ActionRegistry,
        nlu: NluConfig,
        base: Path | None = None,
        extra_watch: tuple[Path, ...] = (),
    ) -> None:
        self.directory = directory
        self.actions = actions
        self.nlu = nlu
        self.base = base
        self.extra_watch = extra_watch
        self.listeners: list[Callable[[CompiledFlows], None]] = []
        compiled, problems = compile_flows(directory, actions=actions, nlu=nlu, base=base)
        if compiled is None:
            raise FlowError(problems)
        self._current = compiled
        self._fingerprint = self._scan()
        self.last_problems: list[Problem] = []

    @property
    def current(self) -> CompiledFlows:
        return self._current

    def reload(self) -> list[Problem]:
        """Recompile; on success swap the new version in. Returns the problems (empty: swapped)."""
        compiled, problems = compile_flows(
            self.directory, actions=self.actions, nlu=self.nlu, base=self.base
        )
        self.last_problems = problems
        if compiled is None:
            for problem in problems:
                log.error("flows.reload_rejected %s", problem)
            return problems
        if compiled.version != self._current.version:
            self._current = compiled
            log.info("flows.reloaded version=%s", compiled.version)
            for listener in self.listeners:
                listener(compiled)
        return []

    def changed(self) -> bool:
        fingerprint = self._scan()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        return True

    async def watch(self, *, interval: float = 0.5) -> None:
        """Poll the flow files (and prompts) and reload on change; runs until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                self.reload()

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        seen: list[tuple[str, int, int]] = []
        for root in (self.directory, *self.extra_watch):
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in {
                    ".yaml",
                    ".yml",
                    ".j2",
                    ".jinja",
                    ".txt",
                    ".md",
                }:
                    stat = path.stat()
                    seen.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(seen)
