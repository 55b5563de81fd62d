"""`python -m bot backup`: copy the SQLite database to storage.backup_dir now, keeping the newest
storage.backups_kept copies (the server also does it every storage.backup_interval_hours).

PostgreSQL is backed up with its own tools: for a postgresql:// URL the command prints the
pg_dump command to run and the pg_restore command that brings a dump back, and runs nothing."""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "backup", help="back up the SQLite database now (online: the server may keep running)"
    )
    parser.add_argument("--dir", help="where to write it (default: storage.backup_dir)")
    parser.add_argument(
        "--keep", type=int, help="how many backups to keep (default: storage.backups_kept)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.store.backup import backup_now
    from bot.store.factory import sqlite_path
    from bot.store.urls import redacted

    settings = load_settings(args.config)
    url = settings.storage.database_url
    if url.startswith(("postgresql://", "postgres://")):
        print(postgres_commands(url, args.dir, os.environ))
        return 0
    if not url.startswith("sqlite://"):
        print(
            f"error: {redacted(url)} keeps nothing on disk: there is nothing to back up",
            file=sys.stderr,
        )
        return 2
    source = Path(sqlite_path(url, settings.base_dir))
    folder = Path(args.dir) if args.dir else settings.path(settings.storage.backup_dir)
    keep = args.keep if args.keep is not None else settings.storage.backups_kept
    result = backup_now(source, folder, keep=keep, key=settings.storage.database_key)
    print(f"backed up {source} to {result.path} ({result.bytes} bytes, {result.seconds:.2f} s)")
    for old in result.removed:
        print(f"removed old backup {old}")
    return 0


def postgres_commands(url: str, folder: str | None, environ: Mapping[str, str]) -> str:
    """How to back up and restore a PostgreSQL database: the commands, with the dump named
    codechat-YYYYMMDD.dump (UTC) as in docs/operations.md. The URL is read from $DATABASE_URL
    so that its password never lands in the terminal's scrollback or the shell history."""
    from bot.store.urls import redacted

    prefix = f"{folder.rstrip('/')}/" if folder else ""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    dump = shlex.quote(f"{prefix}codechat-") + "$(date -u +%Y%m%d).dump"
    lines = [
        f"{redacted(url)} is PostgreSQL: back it up with pg_dump (nothing was run):",
        f'  pg_dump --format=custom --file={dump} "$DATABASE_URL"',
        "and restore a dump with pg_restore:",
        '  pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" '
        + shlex.quote(f"{prefix}codechat-{today}.dump"),
    ]
    if "DATABASE_URL" not in environ:
        lines.append("(DATABASE_URL is not set here: set it to storage.database_url first)")
    return "\n".join(lines)
