"""`python -m bot.search.probe FLAGS BUDGET`: compile one pattern (stdin) under a memory cap.

Exit 0: it compiled within BUDGET bytes of new address space; 2: not a valid regex (the reason on
stdout); anything else (3 for MemoryError, or killed): too costly. Only the standard library and
`regex` are imported, so the child starts in a few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import sys

import regex

TOO_COSTLY = 3


def cap_memory(budget: int) -> None:
    """Allow `budget` bytes of address space beyond what the interpreter holds already."""
    import resource  # POSIX only

    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[0])
    limit = pages * os.sysconf("SC_PAGE_SIZE") + budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    flags, budget = int(sys.argv[1]), int(sys.argv[2])
    source = sys.stdin.buffer.read()
    # Without /proc (not Linux) only the parent's deadline applies.
    with contextlib.suppress(ImportError, OSError, ValueError):
        cap_memory(budget)
    try:
        regex.compile(source, flags, cache_pattern=False)
    except MemoryError:
        return TOO_COSTLY
    except regex.error as exc:
        sys.stdout.write(str(exc))
        return 2
    except (ValueError, OverflowError, RecursionError) as exc:
        sys.stdout.write(str(exc) or type(exc).__name__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
