"""The analyses of the last build on disk, so a restart re-parses only the files that changed.

One file per repository under `search.index_dir`: pickled batches of
(path, size, mtime_ns, FileData with chunks, trigrams), in path order, written to a temporary
name and renamed when complete. It is our own cache in our own data folder; a file that cannot be
read (older format, truncated) is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from bot.search.reader import Read, read_all, read_one
from bot.search.symbols import Outliner

log = logging.getLogger(__name__)
FORMAT = 6  # bump whenever analyze.py, symbols.py or terms.py change what they produce
BATCH = 500
Entry = tuple[str, int, int, Any, Any]  # path, size, mtime_ns, FileData, trigrams


def stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class BuildCache:
    """Reads the previous build's analyses in path order and writes this build's."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._out: IO[bytes] | None = None
        self._pending: list[Entry] = []
        self._keys: dict[str, tuple[int, int]] = {}

    def previous(self) -> Iterator[Entry]:
        if self.path is None or not self.path.is_file():
            return
        try:
            with self.path.open("rb") as f:
                if pickle.load(f) != FORMAT:
                    return
                while True:
                    try:
                        batch: list[Entry] = pickle.load(f)
                    except EOFError:
                        return
                    yield from batch
        except (OSError, pickle.UnpicklingError, AttributeError, ValueError, TypeError) as exc:
            log.warning(
                "search.cache_unreadable", extra={"path": str(self.path), "error": str(exc)}
            )

    def open(self) -> None:
        if self.path is None:
            return
        with contextlib.suppress(OSError):
            self._keys_path.unlink()  # the old keys would describe a half-written cache
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self._tmp.open("wb")
            pickle.dump(FORMAT, self._out)
        except OSError as exc:  # a read-only data folder only costs the next start its speed
            log.warning(
                "search.cache_unwritable", extra={"path": str(self.path), "error": str(exc)}
            )
            self._out = None

    def add(self, read: Read, size: int, mtime_ns: int) -> None:
        if self._out is None or read.info is None:
            return
        self._pending.append((read.rel, size, mtime_ns, read.info, read.grams))
        self._keys[read.rel] = (size, mtime_ns)
        if len(self._pending) >= BATCH:
            self._flush()

    def keys(self) -> dict[str, tuple[int, int]]:
        """{path: (size, mtime_ns)} of the previous build, read from its small side file."""
        if self.path is None:
            return {}
        try:
            with self._keys_path.open("rb") as f:
                keys: dict[str, tuple[int, int]] = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            return {}
        return keys if isinstance(keys, dict) else {}

    def commit(self) -> None:
        if self._out is None or self.path is None:
            return
        self._flush()
        self._out.close()
        self._out = None
        os.replace(self._tmp, self.path)
        with self._keys_path.open("wb") as f:
            pickle.dump(self._keys, f, protocol=5)

    def abandon(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            with contextlib.suppress(OSError):
                self._tmp.unlink()

    @property
    def _keys_path(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".keys")

    @property
    def _tmp(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(f".{os.getpid()}.tmp")

    def _flush(self) -> None:
        if self._out is not None and self._pending:
            pickle.dump(self._pending, self._out, protocol=5)
            self._pending = []


def read_cached(
    root: Path,
    rels: Sequence[str],
    max_bytes: int,
    *,
    outliner: Outliner,
    workers: int,
    cache: BuildCache,
) -> Iterator[Read]:
    """Like `read_all`, reusing the previous build's analysis of every unchanged file.

    When no file changed, appeared or went away, the cache on disk already describes this build
    and is left as it is (rewriting it would cost a warm start more than reading it), unless it
    cannot be read back (a damaged file, an older format): then it is written anew."""
    known = cache.keys()
    stamps = {rel: stamp(root / rel) for rel in rels}
    hits = {rel for rel in rels if stamps[rel] is not None and known.get(rel) == stamps[rel]}
    fresh = read_all(
        root, [r for r in rels if r not in hits], max_bytes, outliner=outliner, workers=workers
    )
    previous = cache.previous() if hits else iter(())
    current = len(hits) == len(rels) == len(known)
    held: list[tuple[Read, int, int]] = []  # what a rewrite needs, while none is planned
    if not current:
        cache.open()
    try:
        for rel in rels:
            read = _reuse(root, rel, previous) if rel in hits else next(fresh)
            if read is None:
                read = read_one(outliner, root, rel, max_bytes)
                if current:  # the cache could not be read back after all
                    current = False
                    cache.open()
                    for entry in held:
                        cache.add(*entry)
            size_mtime = stamps[rel]
            if size_mtime is not None:
                if current:
                    held.append((read, *size_mtime))
                else:
                    cache.add(read, *size_mtime)
            yield read
        cache.commit()
    finally:
        cache.abandon()


def _reuse(root: Path, rel: str, previous: Iterator[Entry]) -> Read | None:
    for entry in previous:  # both in path order: skip the entries of files gone since
        if entry[0] == rel:
            try:
                data = (root / rel).read_bytes()
            except OSError:
                return None
            return Read(rel, data, None, entry[3], entry[4])
        if entry[0] > rel:
            return None
    return None
