"""`python -m bot chat`: talk to the bot in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import getpass
import json
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.search.service import SearchService

# Indexing shorter than this passes silently; longer, stderr says which repository is indexed.
QUIET_SECONDS = 0.5
POLL_SECONDS = 0.1
# What every LogRecord carries; anything else on a record came in through `extra`.
_RECORD_ATTRS = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime", "fields"}
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "chat",
        help="chat with the bot in the terminal (interactive or piped, one message per line)",
    )
    parser.add_argument("--user", help="whose conversation (default: console:<login name>)")
    parser.add_argument("--database-url", help="override storage.database_url (e.g. memory://)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Start-up (imports, the settings, the flows) makes many objects that live as long as the
    # chat and frees few: the garbage collector would only walk them over and over. It runs
    # again once the chat first waits for a person or searches (or ends before either).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from bot.config import load_settings

        settings = load_settings(args.config)
        from bot.access.senders import sender_key

        if args.database_url:
            storage = dataclasses.replace(settings.storage, database_url=args.database_url)
            settings = dataclasses.replace(settings, storage=storage)
        user = sender_key(args.user or f"console:{getpass.getuser()}")
        return asyncio.run(_main(settings, user, collect=collecting))
    finally:
        if collecting:
            gc.enable()


async def _main(settings: Settings, user: str, *, collect: bool = True) -> int:
    from bot.channels.console import chat
    from bot.search.service import SearchService
    from bot.services import Services

    with show_warnings(sys.stderr):
        # The server answers while it indexes, with partial results and a "still indexing"
        # note; a terminal session is short, so its first search waits for the whole index.
        # Messages that search nothing (a greeting, a menu choice) are answered meanwhile.
        def started() -> None:
            if collect:
                gc.enable()  # start-up is over (see run)

        async def whole_index() -> None:
            started()
            await search.start()  # at once if the chat was never idle before
            await wait_for_index(search, progress=sys.stderr)

        search = SearchService.from_settings(settings, before_first_query=whole_index)
        services = await Services.create(
            settings, search=search, watch_flows=settings.flows.reload, start_search=False
        )
        try:
            # Indexing starts when the chat first waits for a person (at the prompt, or once
            # the first piped message is answered): its threads would slow that answer down.
            async def idle() -> None:
                started()
                await search.start()

            status = await chat(services.engine, user_id=user, idle=idle)
            # The index is finished and saved before leaving, as it was when the chat waited
            # for it up front: the next chat starts on a warm index even after one greeting.
            await whole_index()
            return status
        finally:
            await services.close()


@contextlib.contextmanager
def show_warnings(stream: TextIO) -> Iterator[None]:
    """Warnings and errors logged while chatting (a flow edit refused and each of its problems,
    a repository that cannot be indexed) as one readable line each: the event, then its fields.
    Python's default would print the event name alone, without the file:line of a problem."""
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


class ConsoleFormatter(logging.Formatter):
    """`flows.reload_problem file=flows/greeting.yaml line=32 problem="unknown state 'x'"`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS}
        given = getattr(record, "fields", None)
        if isinstance(given, dict):
            fields.update(given)
        parts = [record.getMessage(), *(f"{k}={_shown(v)}" for k, v in fields.items())]
        text = " ".join(parts)
        if record.exc_info and record.exc_info[0] is not None:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _shown(value: object) -> str:
    text = str(value)
    plain = text and not any(c.isspace() or c in "\"'=" for c in text)
    return text if plain else json.dumps(text, ensure_ascii=False)


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
