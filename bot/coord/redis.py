"""Coordination shared by every instance through Redis: per-sender rate limits.

Keys hold a keyed hash of the sender rather than the phone number itself (phone numbers are few
enough to enumerate, so a plain hash would not hide them), and carry a TTL, so Redis never
accumulates personal data. Every instance derives the same key from the Twilio auth token.
The per-sender lock lives in redis_lock.py.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from redis.asyncio import Redis

from bot.coord.base import RateDecision

DEFAULT_PREFIX = "codechat:"

_COUNT_IN_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def key_secret(auth_token: str) -> bytes:
    """The hashing key every instance of one deployment derives alike."""
    return hashlib.blake2b(("codechat-redis:" + auth_token).encode("utf-8")).digest()[:32]


def hashed(key: str, secret: bytes = b"") -> str:
    data = key.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=12, key=secret).hexdigest()


class RedisRateLimiter:
    """Fixed windows: INCR a counter named after the window, which expires with it. The sender
    is told once per window: on the first message over the limit."""

    def __init__(
        self,
        redis: Redis,
        *,
        per_minute: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        prefix: str = DEFAULT_PREFIX,
        secret: bytes = b"",
    ) -> None:
        self._redis = redis
        self._secret = secret
        self._limit = per_minute
        self._window = window_seconds
        self._clock = clock
        self._prefix = f"{prefix}rate:"
        self._count = redis.register_script(_COUNT_IN_WINDOW)

    async def hit(self, key: str) -> RateDecision:
        window = int(self._clock() // self._window)
        name = f"{self._prefix}{hashed(key, self._secret)}:{window}"
        ttl_ms = int(self._window * 2000)  # outlives the window even with some clock skew
        count = int(await self._count(keys=[name], args=[ttl_ms]))
        return RateDecision(allowed=count <= self._limit, notify=count == self._limit + 1)
