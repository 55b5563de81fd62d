"""In-process coordination for a single instance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.coord.base import RateDecision


class MemoryKeyedLock:
    """asyncio locks per key, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


class MemoryRateLimiter:
    """Fixed one-minute windows per key."""

    def __init__(
        self,
        *,
        per_minute: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limit = per_minute
        self._window = window_seconds
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, count)

    async def hit(self, key: str) -> RateDecision:
        window = int(self._clock() // self._window)
        start, count = self._counts.get(key, (window, 0))
        if start != window:
            count = 0
        count += 1
        self._counts[key] = (window, count)
        if len(self._counts) > 200_000:
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        allowed = count <= self._limit
        return RateDecision(allowed=allowed, notify=count == self._limit + 1)
