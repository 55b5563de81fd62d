"""Where cached values live: the bounded in-process LRU, and Redis (real) with its TTL."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from redis.asyncio import Redis

from bot.cache import MemoryBackend, SharedCache, normalise
from bot.cache.redis_backend import RedisBackend
from bot.cache.shared import code_version
from bot.config import CacheConfig, settings_from_mapping


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_keeps_within_its_byte_bound_dropping_the_least_recently_used() -> None:
    memory = MemoryBackend(max_bytes=300, max_entries=100)
    for name in "abc":
        await memory.set(name, name.encode() * 99, 60)  # 100 bytes each with the key
    assert await memory.get("a") is not None  # a is now the most recently used
    await memory.set("d", b"d" * 99, 60)
    assert await memory.get("b") is None  # the least recently used went
    assert [await memory.get(k) is not None for k in "acd"] == [True, True, True]
    assert memory.held_bytes() == 300


async def test_memory_keeps_within_its_entry_bound() -> None:
    memory = MemoryBackend(max_bytes=10_000, max_entries=2)
    for name in "abc":
        await memory.set(name, b"x", 60)
    assert await memory.get("a") is None
    assert memory.status()["entries"] == 2


async def test_memory_forgets_entries_past_their_ttl() -> None:
    clock = Clock()
    memory = MemoryBackend(max_bytes=1000, max_entries=10, clock=clock)
    await memory.set("k", b"v", 30)
    clock.now += 29
    assert await memory.get("k") == b"v"
    clock.now += 2
    assert await memory.get("k") is None
    assert memory.held_bytes() == 0


async def test_memory_refuses_one_value_larger_than_the_whole_cache() -> None:
    memory = MemoryBackend(max_bytes=100, max_entries=10)
    await memory.set("small", b"s", 60)
    await memory.set("huge", b"h" * 200, 60)
    assert await memory.get("huge") is None
    assert await memory.get("small") == b"s"  # not pushed out by it


async def test_redis_values_are_shared_between_clients_and_expire(
    redis: Redis, prefix: str
) -> None:
    first = RedisBackend(Redis.from_url("redis://127.0.0.1:6379/0"))
    second = RedisBackend(Redis.from_url("redis://127.0.0.1:6379/0"))
    try:
        await first.set(f"{prefix}:k", b"answer", 30)
        assert await second.get(f"{prefix}:k") == b"answer"
        assert 0 < await redis.pttl(f"{prefix}:k") <= 30_000
    finally:
        await first.aclose()
        await second.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_redis_is_a_miss_not_an_error_and_is_left_alone_a_while() -> None:
    clock = Clock()
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    backend = RedisBackend(
        Redis.from_url(url, socket_connect_timeout=0.2), retry_seconds=5, clock=clock
    )
    try:
        await backend.set("k", b"v", 30)
        assert await backend.get("k") is None
        assert backend.status()["state"] == "degraded"
        clock.now += 6
        assert backend.status()["state"] == "ok"  # tried again after retry_seconds
    finally:
        await backend.aclose()


def test_questions_differing_in_case_spacing_or_final_punctuation_are_one() -> None:
    assert normalise("  How are   Templates loaded?! ") == "how are templates loaded"
    assert normalise("ＡＢＣ") == "abc"  # full-width letters typed on a phone
    assert normalise("what does /a.b/ match") != normalise("what does /a+b/ match")


async def test_hits_misses_and_bytes_are_counted_and_exported() -> None:
    cache = SharedCache(MemoryBackend(max_bytes=10_000, max_entries=10), config=CacheConfig())
    registry = CollectorRegistry()
    cache.attach_metrics(registry)
    key = cache.key("answer", {"question": "q"})
    assert await cache.get("answer", key) is None
    await cache.put("answer", key, {"text": "an answer"}, ttl_seconds=60)
    assert await cache.get("answer", key) == {"text": "an answer"}
    text = generate_latest(registry).decode()
    assert 'bot_cache_requests_total{kind="answer",result="hit"} 1.0' in text
    assert 'bot_cache_requests_total{kind="answer",result="miss"} 1.0' in text
    assert 'bot_cache_hit_ratio{kind="answer"} 0.5' in text
    assert 'bot_cache_written_bytes_total{kind="answer"} 20.0' in text
    assert 'bot_cache_read_bytes_total{kind="answer"} 20.0' in text
    assert 'bot_cache_held_bytes{backend="memory"}' in text
    assert cache.status()["kinds"] == {"answer": {"hits": 1, "misses": 1, "hit_ratio": 0.5}}


def test_keys_carry_no_question_text() -> None:
    cache = SharedCache(MemoryBackend(max_bytes=100, max_entries=1))
    key = cache.key("answer", {"question": "where is the password of +15551230001 kept"})
    assert "password" not in key and "1555" not in key
    assert key.startswith("codechat:cache:v1:answer:")


async def test_backend_follows_the_settings() -> None:
    memory = SharedCache.from_settings(settings_from_mapping({}))
    assert memory is not None and memory.backend.name == "memory"
    shared = SharedCache.from_settings(
        settings_from_mapping({"storage": {"redis_url": "redis://127.0.0.1:6379/0"}})
    )
    assert shared is not None and shared.backend.name == "redis"
    await shared.aclose()
    assert SharedCache.from_settings(settings_from_mapping({"cache": {"enabled": False}})) is None


def test_another_version_of_the_code_never_reads_this_ones_entries() -> None:
    """A deploy that changes ranking or prompt building starts with its own keys."""
    memory = MemoryBackend(max_bytes=1000, max_entries=10)
    material = {"question": "how are templates loaded"}
    old, new = SharedCache(memory, code="aaaa"), SharedCache(memory, code="bbbb")
    assert old.key("answer", material) != new.key("answer", material)
    assert old.key("answer", material) == SharedCache(memory, code="aaaa").key("answer", material)
    assert SharedCache(memory).code == code_version()  # this checkout's own source by default


def test_the_source_is_digested_for_the_first_key_not_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cache import shared

    calls: list[int] = []
    monkeypatch.setattr(shared, "code_version", lambda: calls.append(1) or "cccc")
    cache = SharedCache(MemoryBackend(max_bytes=1000, max_entries=10))
    assert calls == []
    first = cache.key("answer", {"question": "x"})
    assert cache.key("answer", {"question": "x"}) == first and calls == [1]
    assert first == SharedCache(cache.backend, code="cccc").key("answer", {"question": "x"})
