"""Choosing the coordination backend, and carrying on when Redis goes away and comes back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.config import settings_from_mapping
from bot.coord.factory import Coordination
from bot.coord.memory import MemoryKeyedLock
from bot.errors import ConfigError
from tests.coord.conftest import RedisServer, free_port


def _coord(url: str) -> Coordination:
    settings = settings_from_mapping(
        {
            "storage": {"redis_url": url, "redis_retry_seconds": 0.1, "lock_lease_seconds": 1},
            "limits": {"rate_limit_per_minute": 2},
        }
    )
    return Coordination.from_settings(settings)


async def _exercise(coord: Coordination, sender: str) -> list[bool]:
    async with coord.locks.hold(sender):
        return [(await coord.limiter.hit(sender)).allowed for _ in range(3)]


async def test_without_redis_url_everything_is_in_process() -> None:
    settings = settings_from_mapping({"limits": {"rate_limit_per_minute": 2}})
    coord = Coordination.from_settings(settings)
    assert isinstance(coord.locks, MemoryKeyedLock)
    assert coord.status()["backend"] == "in-process" and coord.backend == "in-process"
    assert await _exercise(coord, "+1") == [True, True, False]
    await coord.close()


@pytest.mark.redis
async def test_redis_going_away_degrades_then_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.coord")
    coord = _coord(redis_server.url)
    try:
        assert await _exercise(coord, "+1") == [True, True, False]
        assert coord.status()["state"] == "ok"

        redis_server.stop()
        # Still answers, on the in-process versions, and says so.
        assert await _exercise(coord, "+2") == [True, True, False]
        status = coord.status()
        assert status["state"] == "degraded" and "Redis unreachable" in str(status["backend"])
        assert "error" in status
        downs = [r for r in caplog.records if r.getMessage() == "coord.redis_down"]
        assert len(downs) == 1  # once, not per message

        redis_server.start()
        await asyncio.sleep(0.15)  # past redis_retry_seconds
        await coord.limiter.hit("+3")
        assert coord.status()["state"] == "ok"
        assert any(r.getMessage() == "coord.redis_back" for r in caplog.records)
    finally:
        await coord.close()


async def test_redis_unreachable_at_start_runs_degraded() -> None:
    coord = _coord(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert await _exercise(coord, "+1") == [True, True, False]
        assert coord.status()["state"] == "degraded"
        assert coord.backend == "redis"
    finally:
        await coord.close()


def test_a_malformed_redis_url_names_the_setting() -> None:
    settings = settings_from_mapping({"storage": {"redis_url": "localhost:6379"}})
    with pytest.raises(ConfigError, match=r"storage\.redis_url.*redis://host:6379/0"):
        Coordination.from_settings(settings)
