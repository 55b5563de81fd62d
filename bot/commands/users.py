"""`python -m bot users list|add|remove|audit`: who may talk, managed from a shell.

The same changes as an admin's `invite` / `revoke` in the chat, written to the database with
an audit entry naming `cli:<login>`; a running server sees them on the sender's next message.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("users", help="list, add or remove who may talk to the bot")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="everyone named in config.yaml or by an admin")
    add = actions.add_parser("add", help="let a sender talk (into a group, if given)")
    add.add_argument("user", help="a phone number (+15551234567) or a channel id (slack:T1:U2)")
    add.add_argument("--group", default="", help="one of the groups in access.groups")
    remove = actions.add_parser("remove", help="revoke a sender at once, whatever config says")
    remove.add_argument("user")
    audit = actions.add_parser("audit", help="the most recent changes: who, when, what")
    audit.add_argument("--limit", type=int, default=20)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings  # here, so `--help` does not load the settings

    settings = load_settings(args.config)
    return asyncio.run(_main(settings, args))


async def _main(settings: Settings, args: argparse.Namespace) -> int:
    from bot.access.admin import Admin, describe
    from bot.access.policy import AccessPolicy
    from bot.store.factory import open_store

    async with open_store(settings) as store:
        admin = Admin(AccessPolicy(settings.access, settings.repos, store))
        actor = f"cli:{getpass.getuser()}"
        try:
            if args.action == "add":
                print(await admin.invite(args.user, args.group, actor=actor, via="cli"))
            elif args.action == "remove":
                print(await admin.revoke(args.user, actor=actor, via="cli"))
            elif args.action == "audit":
                for entry in await store.audit_log(args.limit):
                    when = datetime.datetime.fromtimestamp(entry.at, datetime.UTC)
                    group = f" {entry.group}" if entry.group else ""
                    print(
                        f"{when:%Y-%m-%d %H:%M:%S}Z {entry.actor} ({entry.via}) "
                        f"{entry.action} {entry.user_id}{group}"
                    )
            else:
                print(f"access mode: {admin.policy.mode}")
                for person in await admin.policy.people():
                    print(describe(person))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0
