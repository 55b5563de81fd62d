"""`python -m bot index [--repo NAME]`: build the search index and report what it holds."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.search.runner import Progress
    from bot.search.service import SearchService

BAR_WIDTH = 30


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("index", help="build the code search index and print a summary")
    parser.add_argument("--repo", action="append", help="only this repository (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.errors import QueryError
    from bot.search.service import SearchService

    settings = load_settings(args.config)
    service = SearchService.from_settings(settings, watch_changes=False)
    names = args.repo or list(service.repos)
    unknown = [n for n in names if n not in service.repos]
    if unknown:
        known = ", ".join(service.repos) or "none configured"
        raise QueryError(f"Unknown repository '{unknown[0]}'; known: {known}.")
    return asyncio.run(_index(service, names, sys.stderr, sys.stdout))


async def _index(service: SearchService, names: list[str], err: TextIO, out: TextIO) -> int:
    failed = 0
    for name in names:
        started = time.perf_counter()
        await service.index([name], progress=_bar(name, err))
        snap = service.snapshot(name)
        if snap is None:
            print(f"{name}: indexing failed: {service.errors.get(name, 'unknown error')}", file=out)
            failed += 1
            continue
        stats = snap.stats()
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(snap.skipped.items())) or "none"
        print(
            f"{name}: {stats['files']} files, {stats['lines']} lines, {stats['symbols']} symbols "
            f"in {time.perf_counter() - started:.1f} s; skipped: {skipped}  ({snap.root})",
            file=out,
        )
    return 1 if failed else 0


def _bar(name: str, err: TextIO) -> Progress:
    tty = err.isatty()

    def progress(done: int, total: int) -> None:
        if not tty and done != total:
            return
        filled = BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        end = "\n" if done == total else ""
        print(f"\r{name:>12} [{bar}] {done}/{total} files", end=end, file=err, flush=True)

    return progress
