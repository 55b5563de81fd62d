"""Following file changes under the repositories (watchfiles: inotify, debounced)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import watchfiles

log = logging.getLogger(__name__)

OnChange = Callable[[dict[str, set[str]]], Awaitable[None]]


def group_by_repo(roots: Mapping[str, Path], changed: set[str]) -> dict[str, set[str]]:
    """{repo: {relative path}} for changed absolute paths under the repository roots."""
    grouped: dict[str, set[str]] = {}
    # The deepest root first: a package's folder may sit inside another repository's tree.
    ordered = sorted(roots.items(), key=lambda item: -len(item[1].parts))
    for raw in changed:
        path = Path(raw)
        for name, root in ordered:
            if path.is_relative_to(root):
                rel = path.relative_to(root).as_posix()
                if not any(part.startswith(".") for part in rel.split("/")):
                    grouped.setdefault(name, set()).add(rel)
                break
    return grouped


async def watch(
    roots: Mapping[str, Path], on_change: OnChange, stop: asyncio.Event, *, debounce_ms: int = 50
) -> None:
    """Call `on_change` with the changed files of each repository until `stop` is set."""
    dirs = sorted({str(r) for r in roots.values() if r.is_dir()})
    if not dirs:
        return
    try:
        async for changes in watchfiles.awatch(
            *dirs, stop_event=stop, debounce=debounce_ms, step=20, recursive=True
        ):
            grouped = group_by_repo(roots, {path for _change, path in changes})
            if grouped:
                await on_change(grouped)
    except (OSError, RuntimeError) as exc:  # e.g. too many inotify watches
        log.warning("search.watch_failed", extra={"error": str(exc)})
