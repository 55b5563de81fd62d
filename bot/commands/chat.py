"""`python -m bot chat`: talk to the bot in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass

from bot.channels.console import chat
from bot.config import load_settings
from bot.services import Services


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


async def _main(settings: object, user: str) -> int:
    from bot.config import Settings

    assert isinstance(settings, Settings)
    services = await Services.create(settings, watch_flows=settings.flows.reload)
    try:
        return await chat(services, user_id=user)
    finally:
        await services.close()
