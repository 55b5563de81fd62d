"""The answer cache as an operator sees it: hits and bytes on /metrics and /health of the
running app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.config import Settings
from bot.web.app import SERVICES, create_app
from tests.web.conftest import inbound, post_signed, ready

USER = "whatsapp:+15551230001"


async def test_a_repeated_search_shows_as_a_cache_hit_on_metrics(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    make_settings: Callable[..., Settings],
) -> None:
    client = await aiohttp_client(create_app(make_settings()))
    await asyncio.wait_for(client.app[SERVICES].search.wait_ready(), 30)
    await ready(client, USER)

    replies = []
    for sid in ("SMq1", "SMq2"):
        status, body = await post_signed(client, "/webhook", inbound(sid, "handler_7", USER))
        assert status == 200
        replies.append(body)
    async with client.get("/metrics") as resp:
        text = await resp.text()
    async with client.get("/health") as resp:
        cache = (await resp.json())["cache"]

    assert replies[0] == replies[1] and "routes.py" in replies[0]
    assert 'bot_cache_requests_total{kind="search",result="hit"} 1.0' in text
    assert 'bot_cache_hit_ratio{kind="search"}' in text
    assert 'bot_cache_held_bytes{backend="memory"}' in text
    assert (cache["state"], cache["backend"]) == ("ok", "memory")
    assert cache["kinds"]["search"]["hits"] == 1 and cache["entries"] >= 1
