"""`python -m bot repos list | sync [NAME]`: the configured repositories, and fetching the
`git:` ones now (clone or update, then index) from a shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("repos", help="list the repositories, or fetch the git ones now")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="each repository: where from, and its commit")
    listing.set_defaults(func=run_list)
    sync = actions.add_parser("sync", help="clone or update the git repositories and index them")
    sync.add_argument("name", nargs="?", help="only this repository")
    sync.set_defaults(func=run_sync)


def run_list(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.config)
    return asyncio.run(_list(settings, sys.stdout))


async def _list(settings: Settings, out: TextIO) -> int:
    from bot.search.gitcmd import GitRemote, redact
    from bot.search.gitsync import GitCheckout

    repos_dir = settings.path(settings.search.repos_dir)
    for repo in settings.repos:
        if repo.package:
            print(f"{repo.name}: package {repo.package}", file=out)
            continue
        if not repo.git:
            print(f"{repo.name}: path {repo.root(settings.base_dir)}", file=out)
            continue
        follows = f"ref {repo.ref}" if repo.ref else f"branch {repo.branch or '(default)'}"
        every = f", refresh {repo.refresh}" if repo.refresh else ""
        root = repo.root(settings.base_dir, repos_dir=repos_dir)
        head = await GitCheckout(repo.name, GitRemote(""), root).head()
        at = f"at {head[:12]}" if head else "not cloned yet"
        print(f"{repo.name}: git {redact(repo.git)} ({follows}{every}) {at}", file=out)
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.errors import QueryError

    settings = load_settings(args.config)
    names = [r.name for r in settings.repos if r.git]
    if args.name:
        if args.name not in names:
            known = ", ".join(names) or "none configured"
            raise QueryError(f"'{args.name}' is not a git repository; git repositories: {known}.")
        names = [args.name]
    return asyncio.run(_sync(settings, names, sys.stdout))


async def _sync(settings: Settings, names: list[str], out: TextIO) -> int:
    from bot.search.gitcmd import GitError
    from bot.search.gitsync import GitSync
    from bot.search.service import SearchService

    search = SearchService.from_settings(settings, watch_changes=False)
    sync = GitSync.from_settings(settings, search)
    failed = 0
    for name in names:
        if name not in sync.repos:  # refused before any git ran (a token missing, ...)
            print(f"{name}: failed: {search.errors.get(name, 'unknown error')}", file=out)
            failed += 1
            continue
        try:
            fetched = await sync.sync(name)
        except GitError as exc:
            print(f"{name}: failed: {exc}", file=out)
            failed += 1
            continue
        snap = search.snapshot(name)
        files = snap.stats()["files"] if snap else 0
        changed = f"{len(fetched.changed)} files changed" if fetched.old else "cloned"
        if fetched.old == fetched.new:
            changed = "up to date"
        print(f"{name}: at {fetched.new[:12]} ({changed}); {files} files indexed", file=out)
    await search.close()
    return 1 if failed else 0
