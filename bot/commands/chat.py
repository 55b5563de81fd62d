"""`python -m bot chat`: talk to the bot in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys
from typing import TextIO

from bot.channels.console import chat
from bot.config import Settings, load_settings
from bot.search.service import SearchService
from bot.services import Services

# Indexing shorter than this passes silently; longer, stderr says which repository is indexed.
QUIET_SECONDS = 0.5
POLL_SECONDS = 0.1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "chat",
        help="chat with the bot in the terminal (interactive or piped, one message per line)",
    )
    parser.add_argument("--user", help="whose conversation (default: console:<login name>)")
    parser.add_argument("--database-url", help="override storage.database_url (e.g. memory://)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if args.database_url:
        storage = dataclasses.replace(settings.storage, database_url=args.database_url)
        settings = dataclasses.replace(settings, storage=storage)
    user = args.user or f"console:{getpass.getuser()}"
    return asyncio.run(_main(settings, user))


async def _main(settings: Settings, user: str) -> int:
    services = await Services.create(settings, watch_flows=settings.flows.reload)
    try:
        # The service answers while it indexes, with partial results and a "still indexing"
        # note; a terminal session is short, so its first search should see the whole index.
        await wait_for_index(services.search, progress=sys.stderr)
        return await chat(services, user_id=user)
    finally:
        await services.close()


async def wait_for_index(
    search: SearchService,
    *,
    progress: TextIO,
    quiet_seconds: float = QUIET_SECONDS,
    poll_seconds: float = POLL_SECONDS,
) -> None:
    """Wait until every repository is indexed (or failed: the search then says so). Once the
    wait passes ``quiet_seconds``, write "indexing <repo>…" for each repository as it starts."""
    ready = asyncio.ensure_future(search.wait_ready())
    try:
        await asyncio.wait({ready}, timeout=quiet_seconds)
        announced: set[str] = set()
        while not ready.done():
            repos = search.status()["repos"]
            assert isinstance(repos, dict)
            for name, repo in repos.items():
                if repo.get("state") == "indexing" and name not in announced:
                    announced.add(name)
                    print(f"indexing {name}…", file=progress, flush=True)
            await asyncio.wait({ready}, timeout=poll_seconds)
    finally:
        ready.cancel()
