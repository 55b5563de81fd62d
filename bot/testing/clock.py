"""A clock that only moves when told: conversation tests step through timeouts instantly."""

from __future__ import annotations

from dataclasses import dataclass

# 2026-01-01 00:00:00 UTC: a fixed, recognisable start so stored timestamps read well in failures.
EPOCH = 1_767_225_600.0


@dataclass(slots=True)
class FakeClock:
    """Call it for the time (epoch seconds), like ``time.time``; ``advance`` moves it forward."""

    now: float = EPOCH

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go back in time")
        self.now += seconds
        return self.now

    def reset(self, to: float = EPOCH) -> None:
        self.now = to
