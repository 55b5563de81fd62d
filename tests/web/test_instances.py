"""Two instances behind one load balancer: rate limits hold across them through Redis."""

from __future__ import annotations

import random
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.services import Services
from bot.web.app import create_app
from tests.web.conftest import inbound, post_signed

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_url() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); run `make services`")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.mark.usefixtures("one_window")
@pytest.mark.redis
async def test_the_rate_limit_is_shared_by_instances(
    aiohttp_client: Any, make_settings: Any, redis_url: str
) -> None:
    settings = make_settings(storage={"redis_url": redis_url}, limits={"rate_limit_per_minute": 3})
    sender = f"whatsapp:+1999{random.randrange(10**7):07d}"  # keys of this run only
    services = [await Services.create(settings, watch_flows=False) for _ in range(2)]
    try:
        a, b = [await aiohttp_client(create_app(settings, services=s)) for s in services]
        answers = []
        for i, client in enumerate([a, b, a, b, a]):
            answers.append(await post_signed(client, "/webhook", inbound(f"SMr{i}", "hi", sender)))
        assert all(status == 200 for status, _ in answers)
        assert all("<Message>" in body for _, body in answers[:3])
        assert "faster than I can keep up" in answers[3][1]
        assert "<Message>" not in answers[4][1]
        async with a.get("/health") as resp:
            health = await resp.json()
        assert health["coordination"]["state"] == "ok"
    finally:
        for s in services:
            await s.close()
