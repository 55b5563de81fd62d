"""A conversation in the terminal, through the same engine, flows and store as the webhook."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.channels.console_render import render
from bot.engine.engine import Engine
from bot.engine.turn import Inbound


async def chat(
    engine: Engine,
    *,
    user_id: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    interactive: bool | None = None,
    idle: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """One user message per input line; the bot's replies are printed after each.

    ``idle`` is awaited whenever the chat has nothing to do but wait for the next line: before
    each prompt, or, with piped input, after each reply (the first line is answered at once)."""
    interactive = stdin.isatty() if interactive is None else interactive
    if interactive:
        print(f"Chatting as {user_id}. Type a message; Ctrl-D to quit.", file=sys.stderr)
    loop = asyncio.get_running_loop()
    first = True
    while True:
        if idle is not None and (interactive or not first):
            await idle()
        first = False
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        result = await engine.handle(
            Inbound(user_id=user_id, text=line.rstrip("\n"), channel="console")
        )
        shown = render(result.replies, result.choices, prefix="bot> " if interactive else "")
        if shown:
            print(shown, file=stdout)
        print(file=stdout, flush=True)
    return 0
