"""`python -m bot migrate`: bring the database schema up to date (the server also does it)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "migrate",
        help="apply pending database migrations (storage.database_url / DATABASE_URL)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report the schema version; exit 1 when migrations are pending",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.config)
    return asyncio.run(_main(settings, check=args.check))


async def _main(settings: Settings, *, check: bool) -> int:
    from bot.store.factory import open_store
    from bot.store.urls import redacted

    where = redacted(settings.storage.database_url)
    store = open_store(settings, auto_migrate=False)  # refuses a newer database on open
    async with store:
        before = await store.schema_version()
        latest = store.latest_schema_version()
        if latest == 0:
            print(f"{where}: nothing to migrate (this store keeps no schema)")
            return 0
        if check:
            pending = latest - before
            state = f"{pending} migration(s) pending" if pending else "up to date"
            print(f"{where}: schema version {before}, this release writes {latest}: {state}")
            return 1 if pending else 0
        applied = await store.migrate()
        if applied:
            listed = ", ".join(str(v) for v in applied)
            print(f"{where}: schema version {before} -> {latest} (applied {listed})")
        else:
            print(f"{where}: schema version {latest}, up to date")
    return 0
