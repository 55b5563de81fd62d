"""Where cached values live: a bounded in-process LRU, or Redis with a TTL on every key.

A backend never raises for its own failures: a cache that cannot answer is a miss, and the
caller computes the answer as if there were no cache.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Backend(Protocol):
    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    def held_bytes(self) -> int | None:
        """Bytes held right now, when this backend knows (in process); None for Redis."""
        ...

    def status(self) -> dict[str, object]: ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """Least recently used first out, within ``max_bytes`` and ``max_entries``; expired entries
    are dropped when read."""

    name = "memory"

    def __init__(
        self,
        *,
        max_bytes: int,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        size = len(key) + len(value)
        if size > self._max_bytes:
            return  # one oversized answer must not empty the whole cache
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (self._clock() + ttl_seconds, value)
        self._bytes += size
        while self._bytes > self._max_bytes or len(self._entries) > self._max_entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _, value = self._entries.pop(key)
        self._bytes -= len(key) + len(value)

    def held_bytes(self) -> int | None:
        return self._bytes

    def status(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "entries": len(self._entries),
            "bytes": self._bytes,
            "max_bytes": self._max_bytes,
        }

    async def aclose(self) -> None:
        self._entries.clear()
        self._bytes = 0


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
