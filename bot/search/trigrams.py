"""Trigram index: for each three-byte sequence (lower-cased), the files holding it.

Built once as compressed sparse rows (sorted keys, offsets, file ids) in numpy arrays. Files that
change later are listed as `stale`: their rows may be wrong, so they are always candidates and
the regex decides. A periodic rebuild folds them back in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.search.literals import Need

IntArray = npt.NDArray[np.int32]
MAX_ROWS = 8


def file_trigrams(lowered: bytes) -> npt.NDArray[np.uint32]:
    """The distinct trigrams of one (lower-cased) file, as sorted 24-bit integers."""
    if len(lowered) < 3:
        return np.empty(0, dtype=np.uint32)
    a = np.frombuffer(lowered, dtype=np.uint8).astype(np.uint32)
    grams = ((a[:-2] << 16) | (a[1:-1] << 8) | a[2:]).astype(np.uint32, copy=False)
    grams.sort()  # sorting a few thousand numbers beats np.unique's hashing here
    keep = np.empty(len(grams), dtype=np.bool_)
    keep[0] = True
    np.not_equal(grams[1:], grams[:-1], out=keep[1:])
    distinct: npt.NDArray[np.uint32] = grams[keep]
    return distinct


def _key(text: bytes, i: int) -> int:
    return (text[i] << 16) | (text[i + 1] << 8) | text[i + 2]


@dataclass(frozen=True, slots=True)
class TrigramIndex:
    keys: npt.NDArray[np.uint32]  # sorted distinct trigrams
    offsets: npt.NDArray[np.int64]  # rows: fids[offsets[i]:offsets[i + 1]] hold keys[i]
    fids: IntArray
    size: int  # number of file ids covered
    stale: frozenset[int] = frozenset()

    @classmethod
    def build(cls, contents: Sequence[bytes | None]) -> TrigramIndex:
        builder = TrigramBuilder()
        for data in contents:
            builder.add(data)
        return builder.build()

    def with_stale(self, fids: set[int] | frozenset[int]) -> TrigramIndex:
        return TrigramIndex(self.keys, self.offsets, self.fids, self.size, self.stale | fids)

    def candidates(self, need: Need | None) -> IntArray | None:
        """Sorted file ids that may match, or None for "every file"."""
        found = self._eval(need)
        if found is None:
            return None
        if self.stale:
            found = np.union1d(found, np.fromiter(self.stale, dtype=np.int32))
        return found

    def _eval(self, need: Need | None) -> IntArray | None:
        if need is None:
            return None
        if need.op == "lit":
            return self._literal(need.text)
        parts = [self._eval(p) for p in need.parts]
        if need.op == "or":
            if any(p is None for p in parts):
                return None
            return _union([p for p in parts if p is not None])
        known = sorted((p for p in parts if p is not None), key=len)
        if not known:
            return None
        result = known[0]
        for other in known[1:]:
            if len(result) == 0:
                break
            result = _intersect(result, other)
        return result

    def _literal(self, text: bytes) -> IntArray | None:
        if len(text) < 3:
            return None
        text = text.lower()  # the index holds lower-cased trigrams
        rows = []
        for key in {_key(text, i) for i in range(len(text) - 2)}:
            i = int(self.keys.searchsorted(np.uint32(key)))
            if i >= len(self.keys) or self.keys[i] != key:
                return np.empty(0, dtype=np.int32)
            rows.append(self.fids[self.offsets[i] : self.offsets[i + 1]])
        rows.sort(key=len)
        rows = rows[:MAX_ROWS]  # the rarest trigrams narrow enough; the regex checks the rest
        result = rows[0]
        for row in rows[1:]:
            if len(result) == 0:
                break
            result = _intersect(result, row)
        return result


class TrigramBuilder:
    """Adds files one at a time (file ids 0, 1, 2...), then sorts all rows at once."""

    def __init__(self) -> None:
        self._per_file: list[npt.NDArray[np.uint32]] = []

    def add(self, data: bytes | None) -> None:
        grams = file_trigrams(data.lower()) if data is not None else np.empty(0, np.uint32)
        self._per_file.append(grams)

    def add_grams(self, grams: npt.NDArray[np.uint32]) -> None:
        """Add the next file by its precomputed `file_trigrams`."""
        self._per_file.append(grams)

    def build(self) -> TrigramIndex:
        per_file, self._per_file = self._per_file, []
        size = len(per_file)
        counts = np.fromiter((len(t) for t in per_file), dtype=np.int64, count=size)
        if not size or counts.sum() == 0:
            empty = np.empty(0, np.uint32)
            return TrigramIndex(empty, np.zeros(1, np.int64), np.empty(0, np.int32), size)
        # One sort of (trigram << 32 | file id): rows come out grouped, file ids ascending.
        packed = np.concatenate(per_file).astype(np.uint64)
        del per_file
        packed <<= np.uint64(32)
        packed |= np.repeat(np.arange(size, dtype=np.uint64), counts)
        packed.sort()
        fids = (packed & np.uint64(0xFFFFFFFF)).astype(np.int32)
        packed >>= np.uint64(32)
        keys = packed.astype(np.uint32)
        del packed
        starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1))
        offsets = np.append(starts, len(keys)).astype(np.int64)
        return TrigramIndex(keys[starts], offsets, fids, size)


def _intersect(a: IntArray, b: IntArray) -> IntArray:
    """Sorted unique arrays: probe the longer with the shorter (binary search, no sort)."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) == 0 or len(big) == 0:
        return small[:0]
    at = np.searchsorted(big, small)
    at[at == len(big)] = 0
    found: IntArray = small[big[at] == small]
    return found


def _union(parts: list[IntArray]) -> IntArray:
    if not parts:
        return np.empty(0, dtype=np.int32)
    return np.unique(np.concatenate(parts)).astype(np.int32)
