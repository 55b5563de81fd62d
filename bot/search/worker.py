"""A build worker: `python -m bot.search.worker ROOT MAX_BYTES BATCH`: file names in, analyses out.

Reads a pickled list of relative paths on stdin and writes, for each batch of them in order, a
pickled list of `Read`s on stdout. A plain subprocess rather than multiprocessing: spawn would
re-run the parent's __main__ (the CLI), and fork would copy a threaded server mid-state.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from bot.search.reader import read_batch


def main() -> int:
    root, max_bytes, batch = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rels: list[str] = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for start in range(0, len(rels), batch):
        pickle.dump(read_batch(root, rels[start : start + batch], max_bytes), out, protocol=5)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
