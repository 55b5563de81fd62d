"""What the cache counts, per kind of entry (answers, search results)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class KindStats:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    bytes_read: int = 0
    bytes_written: int = 0

    @property
    def hit_ratio(self) -> float:
        asked = self.hits + self.misses
        return self.hits / asked if asked else 0.0
