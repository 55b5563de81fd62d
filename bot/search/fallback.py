"""The backtracking engine (`regex`) for what RE2 refuses, on a leash.

`regex` expands counted repeats when it compiles: /(?:a{2000}){2000}/, 19 characters, takes about
1 GB and seconds of CPU, holding the GIL, and `regex.compile` would keep it in its cache for good.
So a pattern is first compiled in a child process (bot.search.probe) whose address space is capped
and which is killed at the deadline; only a pattern that fits is compiled here, outside regex's
cache, and freed with the search that used it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import regex

from bot.errors import QueryError

MEMORY_BYTES = 64 * 1024 * 1024  # what one pattern may take to compile
PROJECT = Path(__file__).resolve().parents[2]
_INVALID = 2


class _Slow(Exception):
    """The probe ran out of time (not cached: the machine may just have been busy)."""


def compile_fallback(source: str, flags: int, *, timeout: float) -> Any:
    """`source` compiled by `regex`; QueryError when it is invalid or too costly to compile."""
    data = source.encode("utf-8")
    try:
        invalid, costly = _probe(data, flags, MEMORY_BYTES, timeout)
    except _Slow:
        raise QueryError(
            f"The pattern /{source}/ is too costly: compiling it takes longer than "
            f"{timeout:g} s. Use smaller repeat counts (a repeat inside a repeat multiplies)."
        ) from None
    if invalid:
        raise QueryError(f"The pattern /{source}/ is not a valid regex: {invalid}.")
    if costly:
        raise QueryError(
            f"The pattern /{source}/ is too costly: compiling it needs more than "
            f"{MEMORY_BYTES // 2**20} MB. Use smaller repeat counts: a repeat inside a repeat "
            "multiplies, and counts over 1000, lookarounds or backreferences take the slow engine."
        )
    return regex.compile(data, flags, cache_pattern=False)


@functools.lru_cache(maxsize=256)
def _probe(data: bytes, flags: int, budget: int, timeout: float) -> tuple[str, bool]:
    """(why it is invalid, whether it is too costly) for `data` compiled within `budget` bytes.
    Verdicts are kept, so a costly pattern sent again costs no second child."""
    # Only what the child needs: the service's secrets stay out of its environment.
    paths = [str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {"PYTHONPATH": os.pathsep.join(paths), "PATH": os.environ.get("PATH", "")}
    argv = [sys.executable, "-m", "bot.search.probe", str(int(flags)), str(budget)]
    try:
        done = subprocess.run(argv, input=data, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise _Slow from None
    if done.returncode == _INVALID:
        return done.stdout.decode("utf-8", "replace").strip() or "unreadable", False
    return "", done.returncode != 0
