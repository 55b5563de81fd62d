"""Rate limits and per-sender locks shared through a real Redis by two instances."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from bot.coord.redis import RedisRateLimiter, hashed, key_secret
from bot.coord.redis_lock import RedisKeyedLock

pytestmark = pytest.mark.redis


async def test_rate_limit_is_shared_and_notifies_once_per_window(redis: Redis, prefix: str) -> None:
    now = [1000.0]
    make = lambda: RedisRateLimiter(redis, per_minute=3, clock=lambda: now[0], prefix=prefix)  # noqa: E731
    one, two = make(), make()
    decisions = [await (one if n % 2 else two).hit("+1555") for n in range(6)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False, False]
    assert [d.notify for d in decisions] == [False, False, False, True, False, False]
    assert (await one.hit("+1666")).allowed  # another sender has their own count
    now[0] += 60
    assert (await two.hit("+1555")).allowed  # a new window


async def test_rate_limit_keys_hold_no_phone_number(redis: Redis, prefix: str) -> None:
    await RedisRateLimiter(redis, per_minute=3, prefix=prefix).hit("+15551234567")
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    assert keys and not any(b"5551234567" in k for k in keys)


async def test_keys_are_hashed_with_the_deployments_secret(redis: Redis, prefix: str) -> None:
    secret = key_secret("twilio-auth-token")
    one = RedisRateLimiter(redis, per_minute=3, prefix=prefix, secret=secret)
    two = RedisRateLimiter(
        redis, per_minute=3, prefix=prefix, secret=key_secret("twilio-auth-token")
    )
    await one.hit("+15551234567")
    await two.hit("+15551234567")
    (key,) = [k.decode() async for k in redis.scan_iter(match=f"{prefix}*")]
    assert await redis.get(key) == b"2"  # both instances counted under one key
    # Without the secret, nobody can get from a phone number to its key.
    assert hashed("+15551234567") not in key and hashed("+15551234567", secret) in key
    assert hashed("+15551234567", key_secret("another-token")) not in key


async def test_one_holder_at_a_time_across_instances(redis: Redis, prefix: str) -> None:
    locks = [RedisKeyedLock(redis, prefix=prefix) for _ in range(2)]
    inside, most = 0, 0

    async def turn(n: int) -> None:
        nonlocal inside, most
        async with locks[n % 2].hold("+1"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.002)
            inside -= 1

    await asyncio.gather(*(turn(n) for n in range(20)))
    assert most == 1


async def test_waiters_are_served_in_arrival_order(redis: Redis, prefix: str) -> None:
    locks = [RedisKeyedLock(redis, prefix=prefix) for _ in range(3)]
    order: list[int] = []
    holder = await locks[0].acquire("+1")

    async def turn(n: int) -> None:
        async with locks[n % 3].hold("+1"):
            order.append(n)

    async def queued() -> int:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}lock:*:q")]
        return int(await redis.zcard(keys[0]))

    tasks = []
    for n in range(8):
        tasks.append(asyncio.create_task(turn(n)))
        async with asyncio.timeout(2):
            while await queued() < n + 2:  # noqa: ASYNC110 - the queue is in Redis
                await asyncio.sleep(0.002)
    await locks[0].release("+1", holder)
    await asyncio.gather(*tasks)
    assert order == list(range(8))


async def test_a_crashed_holder_blocks_only_for_its_lease(redis: Redis, prefix: str) -> None:
    crashed = RedisKeyedLock(redis, lease_seconds=0.3, prefix=prefix)
    await crashed.acquire("+1")  # and never releases nor renews: the process died
    survivor = RedisKeyedLock(redis, lease_seconds=0.3, prefix=prefix)
    started = time.monotonic()
    async with asyncio.timeout(3), survivor.hold("+1"):
        waited = time.monotonic() - started
    assert 0.2 <= waited < 3.0  # the lease (0.3 s), plus a poll, plus a busy machine


async def test_a_holder_that_renews_keeps_the_lock_past_its_lease(
    redis: Redis, prefix: str
) -> None:
    lock = RedisKeyedLock(redis, lease_seconds=0.5, prefix=prefix)
    other = RedisKeyedLock(redis, lease_seconds=0.5, prefix=prefix)
    async with lock.hold("+1"):
        waiter = asyncio.create_task(other.acquire("+1"))
        await asyncio.sleep(1.5)  # three leases long: the heartbeat keeps it
        assert not waiter.done()
    token = await asyncio.wait_for(waiter, 2)
    await other.release("+1", token)


async def test_a_waiter_that_gives_up_leaves_the_queue(redis: Redis, prefix: str) -> None:
    lock = RedisKeyedLock(redis, lease_seconds=5, prefix=prefix)
    token = await lock.acquire("+1")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await lock.acquire("+1")
    await lock.release("+1", token)
    started = time.monotonic()
    async with lock.hold("+1"):  # not stuck behind the one that gave up
        assert time.monotonic() - started < 2.0  # its lease is 5 s
    assert [k async for k in redis.scan_iter(match=f"{prefix}*")] == []  # nothing left over


async def test_a_lost_lease_is_reported(redis: Redis, prefix: str) -> None:
    lock = RedisKeyedLock(redis, lease_seconds=0.1, prefix=prefix)
    token = await lock.acquire("+1")
    await asyncio.sleep(0.15)
    other = RedisKeyedLock(redis, lease_seconds=0.1, prefix=prefix)
    second = await asyncio.wait_for(other.acquire("+1"), 2)  # took over the expired lease
    assert await lock.renew("+1", token) is False
    await other.release("+1", second)
