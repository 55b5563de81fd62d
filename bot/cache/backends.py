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
