"""Slows down password guessing: after ``max_failures`` bad logins from one address within the
lockout period, that address is refused until the oldest failure ages out."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000  # bounds the memory a flood of addresses can take


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address, deque())
        cutoff = self._clock() - self._window
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def wait_seconds(self, address: str) -> float:
        """0 when this address may try now; else how long until it may."""
        times = self._recent(address)
        if len(times) < self._max:
            return 0.0
        return max(times[0] + self._window - self._clock(), 1.0)

    def failed(self, address: str) -> None:
        times = self._recent(address)
        times.append(self._clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
