"""SharedCache: values by kind (``answer``, ``search``) under keys hashed from what produced them,
with hit, miss and byte counts for /health and /metrics.

A key is the SHA-256 of the canonical JSON of its material, so keys carry no user id, no phone
number and no question text; the values (answers, search hits) do hold code from the
repositories, so a shared Redis must be as private as the repositories are.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

import orjson

from bot.cache.backends import Backend, MemoryBackend
from bot.cache.stats import KindStats
from bot.config import CacheConfig, Settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)

FORMAT = "v1"  # bumped when what a key means or how a value is stored changes
_TRAILING = " \t?!.…？！。"


@functools.cache
def code_version() -> str:
    """A digest of this program's own source: a deploy of other code (a new ranking, another
    way of building prompts) never serves what the previous version cached."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def normalise(text: str) -> str:
    """The question as a cache key sees it: the same words in any case, spacing or final
    punctuation are the same question ("How are Templates loaded?" == "how are templates
    loaded")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).rstrip(_TRAILING)


class SharedCache:
    def __init__(
        self, backend: Backend, *, config: CacheConfig | None = None, code: str | None = None
    ) -> None:
        self.backend = backend
        self.config = config or CacheConfig()
        self._code = code or None
        self.stats: dict[str, KindStats] = {}

    @property
    def code(self) -> str:
        """The code version keys are made with; this program's source is read and digested
        when the first key is made, not when the cache is built (a chat's first greeting makes
        none)."""
        if self._code is None:
            self._code = code_version()
        return self._code

    @classmethod
    def from_settings(cls, settings: Settings) -> SharedCache | None:
        """Redis when ``storage.redis_url`` is set, else in process; None when disabled."""
        config = settings.cache
        if not config.enabled:
            return None
        url = settings.storage.redis_url
        if not url:
            memory = MemoryBackend(
                max_bytes=config.memory_max_bytes, max_entries=config.memory_max_entries
            )
            return cls(memory, config=config)
        try:
            # A lookup must cost less than the work it saves: give up on Redis quickly.
            from redis.asyncio import Redis  # only with a Redis to talk to

            from bot.cache.redis_backend import RedisBackend

            redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        except ValueError as exc:
            raise ConfigError(
                "storage.redis_url", f"must look like redis://host:6379/0 (or rediss://): {exc}"
            ) from exc
        backend = RedisBackend(redis, retry_seconds=settings.storage.redis_retry_seconds)
        return cls(backend, config=config)

    def key(self, kind: str, material: Any) -> str:
        """The key of what ``material`` describes, for this version of the code."""
        whole = {"code": self.code, "material": material}
        digest = hashlib.sha256(orjson.dumps(whole, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return f"{self.config.key_prefix}:{FORMAT}:{kind}:{digest}"

    async def get(self, kind: str, key: str) -> Any | None:
        stats = self.stats.setdefault(kind, KindStats())
        raw = await self.backend.get(key)
        value = None
        if raw is not None:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                log.warning("cache.unreadable", extra={"fields": {"kind": kind}})
        if value is None:
            stats.misses += 1
            return None
        stats.hits += 1
        stats.bytes_read += len(raw or b"")
        return value

    async def put(self, kind: str, key: str, value: Any, *, ttl_seconds: float) -> None:
        raw = orjson.dumps(value)
        await self.backend.set(key, raw, ttl_seconds)
        stats = self.stats.setdefault(kind, KindStats())
        stats.stores += 1
        stats.bytes_written += len(raw)

    def status(self) -> dict[str, object]:
        """For /health: the backend, and per kind hits, misses and the hit ratio."""
        kinds = {
            kind: {"hits": s.hits, "misses": s.misses, "hit_ratio": round(s.hit_ratio, 3)}
            for kind, s in sorted(self.stats.items())
        }
        return {"state": "ok", **self.backend.status(), "kinds": kinds}

    def attach_metrics(self, registry: CollectorRegistry) -> None:
        from bot.cache.metrics import CacheCollector  # the metrics library, only when served

        """Export hits, misses, bytes and the hit ratio on ``registry`` (the app's /metrics)."""
        registry.register(CacheCollector(self))

    async def aclose(self) -> None:
        await self.backend.aclose()
