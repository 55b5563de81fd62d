"""A per-sender lock in Redis with a lease, served in arrival order.

Choice: a queue per key, a sorted set whose scores are tickets from an INCR counter, plus a hash
of lease deadlines (Redis server time, so instance clocks do not matter). The head of the queue
holds the lock; everyone else polls until they are the head. Every participant renews its lease
while it waits (each poll) or holds (a heartbeat task), and whoever polls drops a head whose lease
ran out: a crashed holder, or a waiter that died in the queue, blocks the sender for one lease at
most. Waiters are served in the order they joined (their ticket), which is the order their
messages reached any instance. Polling, rather than pub/sub, keeps it to one round trip per try;
contention on one sender is rare, and in-process waiters queue on a local lock first (see
resilient.py), so at most one waiter per instance polls for a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot.coord.redis import DEFAULT_PREFIX, hashed

log = logging.getLogger("bot.coord")

# KEYS: queue, leases, tickets. ARGV: token, lease_ms. Returns the token's place (0 = holder).
_JOIN = """
local q, leases, tickets = KEYS[1], KEYS[2], KEYS[3]
local token, lease_ms = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not redis.call('ZSCORE', q, token) then
  redis.call('ZADD', q, redis.call('INCR', tickets), token)
end
redis.call('HSET', leases, token, now + lease_ms)
while true do
  local head = redis.call('ZRANGE', q, 0, 0)[1]
  if not head or head == token then break end
  local deadline = tonumber(redis.call('HGET', leases, head) or '0')
  if deadline >= now then break end
  redis.call('ZREM', q, head)
  redis.call('HDEL', leases, head)
end
local keep = lease_ms * 3
redis.call('PEXPIRE', q, keep)
redis.call('PEXPIRE', leases, keep)
redis.call('PEXPIRE', tickets, keep)
return redis.call('ZRANK', q, token)
"""

# Renew a lease only while still queued; 0 means the lease was lost.
_RENEW = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[2], ARGV[1], now + tonumber(ARGV[2]))
local keep = tonumber(ARGV[2]) * 3
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('PEXPIRE', KEYS[3], keep)
return 1
"""

_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 1
"""


class RedisKeyedLock:
    def __init__(
        self,
        redis: Redis,
        *,
        lease_seconds: float = 10.0,
        poll_min_seconds: float = 0.002,
        poll_max_seconds: float = 0.02,
        prefix: str = DEFAULT_PREFIX,
        secret: bytes = b"",
    ) -> None:
        self._redis = redis
        self._secret = secret
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._poll = (poll_min_seconds, poll_max_seconds)
        self._prefix = f"{prefix}lock:"
        self._join = redis.register_script(_JOIN)
        self._renew = redis.register_script(_RENEW)
        self._leave = redis.register_script(_LEAVE)

    def _keys(self, key: str) -> list[str]:
        # One hash slot per sender (Redis Cluster).
        base = f"{self._prefix}{{{hashed(key, self._secret)}}}"
        return [f"{base}:q", f"{base}:leases", f"{base}:tickets"]

    async def acquire(self, key: str) -> str:
        """Wait for the lock; the token to release it with. Leaves the queue if cancelled."""
        keys, token = self._keys(key), uuid.uuid4().hex
        delay = self._poll[0]
        try:
            while int(await self._join(keys=keys, args=[token, self._lease_ms])) != 0:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._poll[1])
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._leave(keys=keys, args=[token]))
            raise
        return token

    async def renew(self, key: str, token: str) -> bool:
        """Extend the lease; False when it was already lost (held past the lease)."""
        return bool(await self._renew(keys=self._keys(key), args=[token, self._lease_ms]))

    async def release(self, key: str, token: str) -> None:
        await self._leave(keys=self._keys(key), args=[token])

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        token = await self.acquire(key)
        try:
            async with self.heartbeat(key, token):
                yield
        finally:
            await self.release(key, token)

    @asynccontextmanager
    async def heartbeat(self, key: str, token: str) -> AsyncIterator[None]:
        """Keep renewing the lease while the body runs. Most turns end long before the first
        renewal is due, so the renewing task is only started when it is."""
        loop = asyncio.get_running_loop()
        started: list[asyncio.Task[None]] = []

        def due() -> None:
            started.append(loop.create_task(self._heartbeat(key, token)))

        timer = loop.call_later(self._lease_ms / 3000, due)
        try:
            yield
        finally:
            timer.cancel()
            for task in started:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _heartbeat(self, key: str, token: str) -> None:
        while True:
            try:
                if not await self.renew(key, token):
                    log.error(
                        "coord.lock_lost", extra={"fields": {"key": hashed(key, self._secret)}}
                    )
                    return
            except Exception as exc:  # Redis went away: the lease runs out on its own
                log.warning("coord.lock_renew_failed", extra={"fields": {"error": str(exc)}})
                return
            await asyncio.sleep(self._lease_ms / 3000)
