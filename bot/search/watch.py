"""Following file changes under the repositories (watchfiles: inotify, debounced)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
    roots: Mapping[str, Path],
    on_change: OnChange,
    stop: asyncio.Event,
    *,
    targets: Sequence[Path] | None = None,
    debounce_ms: int = 50,
) -> None:
    """Call `on_change` with the changed files of each repository until `stop` is set.

    ``targets`` are the folders to watch recursively (see files.watch_targets); the roots are then
    watched on their own, without descending. By default the roots are watched recursively. The
    watchers live in their own threads, so the event loop never waits on them."""
    root_dirs = sorted({str(r) for r in roots.values() if r.is_dir()})
    if targets is None:
        deep, flat = root_dirs, []
    else:
        deep, flat = sorted({str(p) for p in targets if p.is_dir()}), root_dirs
    if not flat and not deep:
        return
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[set[str] | None] = asyncio.Queue()
    halt = threading.Event()

    def post(item: set[str] | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed first
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def follow(paths: list[str], recursive: bool) -> None:
        try:
            for changes in watchfiles.watch(
                *paths,
                stop_event=halt,
                debounce=debounce_ms,
                step=20,
                rust_timeout=200,
                recursive=recursive,
                raise_interrupt=False,
            ):
                post({path for _change, path in changes})
        except (OSError, RuntimeError) as exc:  # e.g. too many inotify watches
            log.warning("search.watch_failed", extra={"error": str(exc)})
        finally:
            post(None)

    threads = [
        threading.Thread(target=follow, args=(paths, recursive), name="search-watch", daemon=True)
        for paths, recursive in ((deep, True), (flat, False))
        if paths
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    stopped = asyncio.create_task(stop.wait())
    try:
        while True:
            next_change = asyncio.create_task(queue.get())
            await asyncio.wait({next_change, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not next_change.done():
                next_change.cancel()
                return
            changed = next_change.result()
            if changed is None:
                running -= 1
                if not running:
                    return
                continue
            grouped = group_by_repo(roots, changed)
            if grouped:
                await on_change(grouped)
    finally:
        halt.set()
        stopped.cancel()
        for thread in threads:
            await asyncio.to_thread(thread.join, 2.0)
