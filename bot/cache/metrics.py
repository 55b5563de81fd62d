"""The cache's counts on /metrics, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.cache.backends import Backend
from bot.cache.stats import KindStats


class Counted(Protocol):
    """What the collector reads (a SharedCache): its backend and its counts per kind."""

    @property
    def backend(self) -> Backend: ...

    @property
    def stats(self) -> Mapping[str, KindStats]: ...


class CacheCollector(Collector):
    """Read at scrape time from the cache's own counts: one source of truth."""

    def __init__(self, cache: Counted) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        backend = self._cache.backend.name
        requests = CounterMetricFamily(
            "bot_cache_requests", "Cache lookups by kind and result", labels=["kind", "result"]
        )
        written = CounterMetricFamily(
            "bot_cache_written_bytes", "Bytes this instance stored in the cache", labels=["kind"]
        )
        read = CounterMetricFamily(
            "bot_cache_read_bytes", "Bytes this instance served from the cache", labels=["kind"]
        )
        ratio = GaugeMetricFamily(
            "bot_cache_hit_ratio", "Hits over lookups since start, by kind", labels=["kind"]
        )
        for kind, s in sorted(self._cache.stats.items()):
            requests.add_metric([kind, "hit"], s.hits)
            requests.add_metric([kind, "miss"], s.misses)
            written.add_metric([kind], s.bytes_written)
            read.add_metric([kind], s.bytes_read)
            ratio.add_metric([kind], s.hit_ratio)
        yield from (requests, written, read, ratio)
        held = self._cache.backend.held_bytes()
        if held is not None:
            memory = GaugeMetricFamily(
                "bot_cache_held_bytes", "Bytes held by the in-process cache", labels=["backend"]
            )
            memory.add_metric([backend], held)
            yield memory
