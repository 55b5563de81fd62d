"""The running service purges old history and backs SQLite up on its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.services import Services
from bot.store.base import ConversationRow
from bot.store.sqlite import SqliteStore

Start = Callable[..., Awaitable[tuple[TestClient[Any, Any], Services]]]
USER = "whatsapp:+15550001"


async def test_the_server_purges_old_history_and_writes_a_backup(
    start: Start, tmp_path: Path
) -> None:
    async with SqliteStore(tmp_path / "bot.db") as store:  # the database the server will open
        await store.append_rows(
            [
                ConversationRow(USER, "from last year", "reply", time.time() - 365 * 86400),
                ConversationRow(USER, "from today", "reply", time.time()),
            ]
        )
    _client, services = await start(storage={"retention_days": 30})
    backups = tmp_path / "backups"
    for _ in range(100):
        history = [r.message for r in await services.store.history(USER)]
        if history == ["from today"] and list(backups.glob("*.db")):
            break
        await asyncio.sleep(0.05)
    assert history == ["from today"]
    assert len(list(backups.glob("*.db"))) == 1
