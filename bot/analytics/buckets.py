"""Latency buckets: reply and search times are kept as counts per bucket, so percentiles over
any window come from a few hundred numbers instead of every turn, and every store (SQL or
memory) reports the same figure for the same turns.

Bucket ``i`` holds times in (BOUNDS[i-1], BOUNDS[i]] ms; the last one, everything above the
largest bound. Bounds grow by 15 %, so a percentile is reported to within 15 % (as the upper
bound of its bucket), from 1 ms to 5 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

RATIO = 1.15
BOUNDS: tuple[float, ...] = tuple(round(RATIO**k, 2) for k in range(91))  # 1 ms .. ~330 s
OVERFLOW = len(BOUNDS)


def bucket(ms: float) -> int:
    """The bucket holding ``ms`` (same answer as the SQL of `case_sql`)."""
    low, high = 0, OVERFLOW
    while low < high:  # the first bound >= ms
        mid = (low + high) // 2
        if ms <= BOUNDS[mid]:
            high = mid
        else:
            low = mid + 1
    return low


def case_sql(column: str) -> str:
    """A SQL expression giving `bucket(column)`, the same in SQLite and PostgreSQL."""
    whens = " ".join(f"WHEN {column} <= {bound!r} THEN {i}" for i, bound in enumerate(BOUNDS))
    return f"(CASE {whens} ELSE {OVERFLOW} END)"


def percentile(counts: Iterable[tuple[int, int]], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of the times counted per bucket, as its bucket's upper
    bound in ms; None when nothing was counted."""
    ordered = sorted((b, n) for b, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for b, n in ordered:
        seen += n
        if seen >= rank:
            return BOUNDS[min(b, OVERFLOW - 1)]
    return BOUNDS[-1]  # pragma: no cover - seen reaches total
