"""`python -m bot backup`: copy the SQLite database to storage.backup_dir now, keeping the newest
storage.backups_kept copies (the server also does it every storage.backup_interval_hours)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import load_settings
from bot.store.backup import backup_now
from bot.store.factory import redacted, sqlite_path


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
    settings = load_settings(args.config)
    url = settings.storage.database_url
    if not url.startswith("sqlite://"):
        print(
            f"{redacted(url)} is not SQLite. Back up PostgreSQL with pg_dump, for example\n"
            '  pg_dump --format=custom --file=bot-$(date -u +%Y%m%d).dump "$DATABASE_URL"\n'
            "(see docs/operations.md).",
            file=sys.stderr,
        )
        return 2
    source = Path(sqlite_path(url, settings.base_dir))
    folder = Path(args.dir) if args.dir else settings.path(settings.storage.backup_dir)
    keep = args.keep if args.keep is not None else settings.storage.backups_kept
    result = backup_now(source, folder, keep=keep)
    print(f"backed up {source} to {result.path} ({result.bytes} bytes, {result.seconds:.2f} s)")
    for old in result.removed:
        print(f"removed old backup {old}")
    return 0
