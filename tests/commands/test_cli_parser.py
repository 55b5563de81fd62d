"""`python -m bot COMMAND` builds the parser of that command alone: whatever the arguments, it
parses them as the parser of every command does (the same namespace, or the same error), and
`--help` without a command still lists every command."""

from __future__ import annotations

import contextlib
import io

import pytest

from bot.cli import COMMANDS, build_parser, chosen_command

ARGVS = [
    ["chat"],
    ["chat", "--user", "console:ann", "--database-url", "memory://"],
    ["--config", "other.yaml", "chat"],
    ["--config=other.yaml", "search", "--kind", "symbol", "Circle"],
    ["--conf", "chat", "chat"],  # an abbreviation; the config file is called chat
    ["--c=x.yaml", "validate"],
    ["search", "--help"],
    ["chat", "--bogus"],
    ["chat", "--config", "x.yaml"],  # --config after the command belongs to no parser
    ["serve", "--host", "127.0.0.1", "--port", "9090"],
    ["users", "add", "+15551234567"],
    ["repos"],
    ["graph", "--format", "dot"],
    ["test", "--help"],
    ["--help"],
    ["-h", "chat"],
    [],
    ["chta"],
    ["--bogus", "chat"],
    ["--config"],
    ["--", "chat"],
]


def parse(command: str | None, argv: list[str]) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result: object = vars(build_parser(command).parse_args(argv))
        except SystemExit as exc:
            result = ("exit", exc.code)
    return result, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_one_command_parses_as_all_do(argv: list[str]) -> None:
    assert parse(chosen_command(argv), argv) == parse(None, argv)


def test_the_command_is_found() -> None:
    assert chosen_command(["chat"]) == "chat"
    assert chosen_command(["--config", "search", "index"]) == "index"
    assert chosen_command(["--config=a.yaml", "repos", "--help"]) == "repos"
    for argv in (["--help"], [], ["-h", "chat"], ["chta"], ["--bogus", "chat"], ["--config"]):
        assert chosen_command(argv) is None, argv


def test_help_lists_every_command() -> None:
    _result, out, _err = parse(chosen_command(["--help"]), ["--help"])
    for name in COMMANDS:
        assert f"\n    {name} " in out, name
