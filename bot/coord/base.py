"""What instances must agree on: per-sender ordering and per-sender rate limits (MessageSid dedupe
is the database's: see bot/store).

In one process these are in memory (memory.py); N instances share them through Redis (redis.py).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol


class KeyedLock(Protocol):
    """One holder per key at a time; waiters are served in arrival order."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    notify: bool  # over the limit, and the sender has not been told in this window yet


class RateLimiter(Protocol):
    async def hit(self, key: str) -> RateDecision: ...
