"""Choose the coordination backend: Redis when ``storage.redis_url`` is set, else in-process."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.config import Settings
from bot.coord.base import KeyedLock, RateLimiter
from bot.coord.memory import MemoryKeyedLock, MemoryRateLimiter
from bot.coord.redis import RedisRateLimiter, key_secret
from bot.coord.redis_lock import RedisKeyedLock
from bot.coord.resilient import (
    RedisHealth,
    ResilientKeyedLock,
    ResilientRateLimiter,
)
from bot.errors import ConfigError
from bot.store.urls import redacted


@dataclass(eq=False)
class Coordination:
    """What instances agree on (per-sender locks and rate limits), and whether they currently
    can (``status()``)."""

    locks: KeyedLock
    limiter: RateLimiter
    health: RedisHealth | None = None
    redis: Redis | None = None

    @classmethod
    def in_process(cls, *, per_minute: int) -> Coordination:
        return cls(
            locks=MemoryKeyedLock(),
            limiter=MemoryRateLimiter(per_minute=per_minute),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Coordination:
        """Connects lazily: nothing is awaited here, and an unreachable Redis at start only
        means starting degraded."""
        per_minute = settings.limits.rate_limit_per_minute
        storage = settings.storage
        if not storage.redis_url:
            return cls.in_process(per_minute=per_minute)
        # Fail fast when Redis is gone: the in-process fallback answers instead of retries.
        try:
            redis = Redis.from_url(
                storage.redis_url,
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:
            raise ConfigError(
                "storage.redis_url",
                f"must look like redis://host:6379/0 (or rediss://, unix://): {exc}",
            ) from exc
        health = RedisHealth(
            url=redacted(storage.redis_url), retry_seconds=storage.redis_retry_seconds
        )
        secret = key_secret(settings.twilio.auth_token)
        lock = RedisKeyedLock(redis, lease_seconds=storage.lock_lease_seconds, secret=secret)
        limiter = RedisRateLimiter(redis, per_minute=per_minute, secret=secret)
        return cls(
            locks=ResilientKeyedLock(lock, health),
            limiter=ResilientRateLimiter(limiter, health, per_minute=per_minute),
            health=health,
            redis=redis,
        )

    @property
    def backend(self) -> str:
        return "redis" if self.health is not None else "in-process"

    def status(self) -> dict[str, object]:
        """For /health: ``state`` is ok, or degraded while Redis is unreachable."""
        if self.health is not None:
            return self.health.status()
        return {"state": "ok", "backend": "in-process", "scope": "this instance only"}

    async def close(self) -> None:
        redis, self.redis = self.redis, None
        if redis is not None:
            await redis.aclose()
