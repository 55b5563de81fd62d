"""The cache in Redis, shared by every instance (imported only when Redis is configured)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisBackend:
    """Shared by every instance. After a failure Redis is left alone for ``retry_seconds``
    (each lookup would otherwise wait out the socket timeout): misses meanwhile."""

    name = "redis"

    def __init__(
        self,
        redis: Redis,
        *,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._retry = retry_seconds
        self._clock = clock
        self._down_until = 0.0
        self._last_error = ""

    async def get(self, key: str) -> bytes | None:
        if self._resting():
            return None
        try:
            value = await self._redis.get(key)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if self._resting():
            return
        try:
            await self._redis.set(key, value, px=max(1, int(ttl_seconds * 1000)))
        except (RedisError, OSError) as exc:
            self._failed(exc)

    def _resting(self) -> bool:
        return self._clock() < self._down_until

    def _failed(self, exc: Exception) -> None:
        if not self._resting():
            fields = {"error": f"{type(exc).__name__}: {exc}", "retry_seconds": self._retry}
            log.warning("cache.redis_unavailable", extra={"fields": fields})
        self._last_error = str(exc)
        self._down_until = self._clock() + self._retry

    def held_bytes(self) -> int | None:
        return None

    def status(self) -> dict[str, object]:
        state = "degraded" if self._resting() else "ok"
        status: dict[str, object] = {"backend": self.name, "state": state}
        if self._resting():
            status["error"] = self._last_error
        return status

    async def aclose(self) -> None:
        await self._redis.aclose()
