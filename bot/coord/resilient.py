"""Redis-backed coordination that survives Redis going away.

When a Redis call fails, the instance switches to its in-process versions (locks and rate limits
become per instance; MessageSid dedupe is the store's and does not depend on Redis), logs
`coord.redis_down` once, reports it in ``status()`` (shown by /health), and tries Redis again
every ``retry_seconds``; `coord.redis_back` is logged when it answers again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from redis.exceptions import RedisError

from bot.coord.base import RateDecision
from bot.coord.memory import MemoryKeyedLock, MemoryRateLimiter
from bot.coord.redis import RedisRateLimiter
from bot.coord.redis_lock import RedisKeyedLock

log = logging.getLogger("bot.coord")

# What a Redis outage looks like from the client: refused, reset, timed out, or the pool closed.
REDIS_DOWN: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisHealth:
    """Whether Redis is usable right now, shared by the three primitives of one instance."""

    def __init__(
        self, *, url: str, retry_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._url = url
        self._retry = retry_seconds
        self._clock = clock
        self._down_since: float | None = None
        self._down_wall: float | None = None
        self._next_try = 0.0
        self._error = ""

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def worth_trying(self) -> bool:
        return self._down_since is None or self._clock() >= self._next_try

    def failed(self, exc: BaseException) -> None:
        self._next_try = self._clock() + self._retry
        self._error = f"{type(exc).__name__}: {exc}"
        if self._down_since is None:
            self._down_since, self._down_wall = self._clock(), time.time()
            log.error("coord.redis_down", extra={"fields": {"error": self._error}})

    def succeeded(self) -> None:
        if self._down_since is not None:
            log.warning(
                "coord.redis_back",
                extra={"fields": {"down_seconds": round(self._clock() - self._down_since, 1)}},
            )
            self._down_since = self._down_wall = None

    def status(self) -> dict[str, object]:
        if self._down_since is None:
            return {"state": "ok", "backend": "redis", "url": self._url}
        return {
            "state": "degraded",
            "backend": "in-process (Redis unreachable)",
            "url": self._url,
            "since": self._down_wall,
            "error": self._error,
            "effect": "locks and rate limits are per instance until Redis answers again",
        }


class ResilientRateLimiter:
    def __init__(self, redis: RedisRateLimiter, health: RedisHealth, *, per_minute: int) -> None:
        self._redis, self._health = redis, health
        self._local = MemoryRateLimiter(per_minute=per_minute)

    async def hit(self, key: str) -> RateDecision:
        if self._health.worth_trying():
            try:
                decision = await self._redis.hit(key)
            except REDIS_DOWN as exc:
                self._health.failed(exc)
            else:
                self._health.succeeded()
                return decision
        return await self._local.hit(key)


class ResilientKeyedLock:
    """The local lock first (orders this instance's own waiters without touching Redis), then
    the Redis lock when Redis is usable (orders them across instances)."""

    def __init__(self, redis: RedisKeyedLock, health: RedisHealth) -> None:
        self._redis, self._health, self._local = redis, health, MemoryKeyedLock()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._local.hold(key):
            token = await self._acquire(key)
            if token is None:
                yield
                return
            async with self._redis.heartbeat(key, token):
                try:
                    yield
                finally:
                    await self._release(key, token)

    async def _acquire(self, key: str) -> str | None:
        if not self._health.worth_trying():
            return None
        try:
            token = await self._redis.acquire(key)
        except REDIS_DOWN as exc:
            self._health.failed(exc)
            return None
        self._health.succeeded()
        return token

    async def _release(self, key: str, token: str) -> None:
        try:
            await self._redis.release(key, token)
        except REDIS_DOWN as exc:  # the lease runs out by itself
            self._health.failed(exc)
