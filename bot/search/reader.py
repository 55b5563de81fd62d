"""Reading and analysing files for a build, in worker processes when the repository is large."""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.analyze import FileData, analyze
from bot.search.files import read_indexable
from bot.search.symbols import Outliner
from bot.search.trigrams import file_trigrams

PARALLEL_MIN_FILES = 1500  # below this, starting worker processes costs more than it saves
BATCH = 250


@dataclass(frozen=True, slots=True)
class Read:
    rel: str
    data: bytes | None
    reason: str | None  # why the file is not indexed (binary, huge, generated, unreadable)
    info: FileData | None  # with its ranking chunks
    grams: npt.NDArray[np.uint32] | None


def read_one(outliner: Outliner, root: Path, rel: str, max_bytes: int) -> Read:
    data, reason = read_indexable(root, rel, max_bytes)
    if data is None:
        return Read(rel, None, reason or "unreadable", None, None)
    return Read(rel, data, None, analyze(outliner, rel, data), file_trigrams(data.lower()))


def read_batch(root: Path, rels: Sequence[str], max_bytes: int) -> list[Read]:
    gc.disable()  # many small objects, no cycles: collection only costs time
    try:
        outliner = Outliner()
        return [read_one(outliner, root, rel, max_bytes) for rel in rels]
    finally:
        gc.enable()


def read_all(
    root: Path, rels: Sequence[str], max_bytes: int, *, outliner: Outliner, workers: int
) -> Iterator[Read]:
    """Every file's Read, in the order of `rels`."""
    if workers <= 1 or len(rels) < PARALLEL_MIN_FILES:
        for rel in rels:
            yield read_one(outliner, root, rel, max_bytes)
        return
    # spawn, not fork: the service has threads (asyncio executors) that fork would copy mid-state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        batches = [rels[i : i + BATCH] for i in range(0, len(rels), BATCH)]
        futures = deque(pool.submit(read_batch, root, batch, max_bytes) for batch in batches)
        while futures:  # popped as consumed, so finished batches do not pile up in memory
            yield from futures.popleft().result()
