"""Reading and analysing files for a build, in worker processes when the repository is large."""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.errors import SearchError
from bot.search.analyze import FileData, analyze
from bot.search.files import read_indexable
from bot.search.symbols import Outliner
from bot.search.trigrams import file_trigrams

PROJECT = Path(__file__).resolve().parents[2]
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
    yield from _in_workers(root, rels, max_bytes, workers)


def _in_workers(root: Path, rels: Sequence[str], max_bytes: int, workers: int) -> Iterator[Read]:
    """Batch k is read by worker k % workers; batches come back in order."""
    batches = [list(rels[i : i + BATCH]) for i in range(0, len(rels), BATCH)]
    paths = [str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    argv = [sys.executable, "-m", "bot.search.worker", str(root), str(max_bytes), str(BATCH)]
    procs = []
    try:
        for w in range(min(workers, len(batches))):
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            assert proc.stdin is not None
            mine = [rel for batch in batches[w::workers] for rel in batch]
            pickle.dump(mine, proc.stdin, protocol=5)
            proc.stdin.close()
            procs.append(proc)
        for k in range(len(batches)):
            stdout = procs[k % len(procs)].stdout
            assert stdout is not None
            try:
                yield from pickle.load(stdout)
            except (EOFError, pickle.UnpicklingError) as exc:
                raise SearchError(f"an index worker for {root} stopped: {exc}") from exc
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
