"""`python -m bot COMMAND ...`: one module per command under bot/commands/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from bot.errors import BotError

# Each module in bot/commands/ exposes `add_parser(subparsers)`, which sets `func(args) -> int`.
# A command module imports at its top only what its parser needs; `func` imports the rest, so
# `--help` and each command load only their own dependencies (tests/test_imports.py).
COMMANDS: tuple[str, ...] = (
    "chat",
    "migrate",
    "validate",
    "test",
    "graph",
    "serve",
    "backup",
    "index",
    "search",
    "users",
    "repos",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``command``, of that one alone (only its module is
    imported). Either parses that command's arguments alike: a subcommand takes every argument
    after its name, so the others' parsers are never consulted."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--config", help="config file (default: $BOT_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if command is None else (command,):
        importlib.import_module(f"bot.commands.{name}").add_parser(sub)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when nothing before its name needs the other commands'
    parsers: only `--config FILE` (or `--config=FILE`, or an abbreviation argparse accepts) may
    come first. None otherwise (`--help`, no command, an unknown one, an unknown option): the
    whole parser answers those, listing every command."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in COMMANDS:
            return arg
        option, has_value, _value = arg.partition("=")
        if len(option) < 3 or not "--config".startswith(option):
            return None
        i += 1 if has_value else 2
    return None


# The shell's status for a command stopped by SIGPIPE (128 + 13): `bot test | head` read enough.
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    try:
        given = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(chosen_command(given)).parse_args(given)
        result: int = args.func(args)
        sys.stdout.flush()  # here, so a reader that went away is noticed while we can handle it
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_gone()
    return result


def _reader_gone() -> int:
    """The output's reader stopped reading (`| head`): exit quietly, without a traceback. What
    is still buffered for stdout goes nowhere, or Python would fail again writing it at exit."""
    try:
        stdout = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (captured): nothing to redirect
        return BROKEN_PIPE
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout)
    os.close(devnull)
    return BROKEN_PIPE
