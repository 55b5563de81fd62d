"""When to try again: Retry-After parsing, which statuses are worth a retry, backoff with jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))


def retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds from ``retry-after-ms`` (OpenAI) or ``retry-after`` (seconds or an HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    import email.utils  # an HTTP date: rare, and the email package is slow to import

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - now())


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1).

    The provider's Retry-After wins when it gave one; otherwise exponential backoff with "equal
    jitter": half of min(cap, base * 2**(attempt-1)) for sure, the other half drawn at random, so
    the retries of many users that failed at the same moment spread out but never come at once.
    """
    if retry_after is not None:
        return retry_after
    step = min(cap, base * 2.0 ** (attempt - 1))
    return step / 2 + rand() * step / 2
