"""The in-memory index of one repository, as an immutable snapshot swapped on every change.

Searches read whichever snapshot is current, so they never wait for an update and never see a
half-applied one.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.analyze import Chunk, FileData, analyze
from bot.search.cache import BuildCache, read_cached
from bot.search.files import FileFilter, read_admitted, walk
from bot.search.ranking import STUB_PRIOR, TEST_PRIOR, Bm25, Bm25Builder
from bot.search.symbols import Outliner
from bot.search.trigrams import TrigramBuilder, TrigramIndex

Progress = Callable[[int, int], None]
_TEST_PARTS = ("tests/", "test/", "testing/", "/test_", "_test.", "test_", "docs/")


def is_secondary(rel: str) -> bool:
    """Tests, fixtures and docs: ranked after the code itself."""
    low = "/" + rel.lower()
    return any(part in low for part in _TEST_PARTS) or low.endswith(".md")


def is_stub(rel: str) -> bool:
    """Type stubs: the declarations, not the code."""
    return rel.endswith(".pyi")


def listed_later(rel: str) -> bool:
    """Matching lines of tests, docs and stubs are listed after those of the code."""
    return is_secondary(rel) or is_stub(rel)


def file_prior(rel: str) -> float:
    """How a file's chunks weigh in plain-language ranking: code 1, tests and docs, stubs less."""
    prior = TEST_PRIOR if is_secondary(rel) else 1.0
    return prior * STUB_PRIOR if is_stub(rel) else prior


@dataclass(frozen=True, slots=True)
class RepoSnapshot:
    name: str
    root: Path
    paths: tuple[str, ...]  # file id -> relative path
    contents: tuple[bytes | None, ...]  # None: deleted or no longer indexed
    files: tuple[FileData | None, ...]
    trigrams: TrigramIndex
    defs: dict[str, tuple[tuple[int, int], ...]]  # lower-cased name -> (file id, symbol index)
    bm25: Bm25
    priors: dict[int, float]  # file id -> ranking prior (absent: 1.0)
    secondary: npt.NDArray[np.bool_]  # file id -> tests, docs, stubs (listed after the code)
    imported: dict[str, int] = field(default_factory=dict)  # name -> files importing it
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def stats(self) -> dict[str, int]:
        live = [f for f in self.files if f is not None]
        return {
            "files": len(live),
            "lines": sum(f.lines for f in live),
            "symbols": sum(len(f.symbols) for f in live),
            "skipped": sum(self.skipped.values()),
        }


def build(
    name: str,
    flt: FileFilter,
    *,
    outliner: Outliner,
    progress: Progress | None = None,
    workers: int = 1,
    cache: Path | None = None,
) -> RepoSnapshot:
    """Read, outline and index every file of the repository (`workers` processes if large).

    With `cache`, files unchanged since the last build (same size and mtime) are not parsed again.
    """
    # The build allocates millions of small objects and frees none of them in cycles: collecting
    # meanwhile only costs time.
    gc.disable()
    try:
        return _build(name, flt, outliner, progress, workers, BuildCache(cache))
    finally:
        gc.enable()
        # The index is millions of long-lived objects without cycles: leave them out of every
        # later collection, which would otherwise pause searches for tens of milliseconds.
        gc.freeze()


def _build(
    name: str,
    flt: FileFilter,
    outliner: Outliner,
    progress: Progress | None,
    workers: int,
    cache: BuildCache,
) -> RepoSnapshot:
    started = time.perf_counter()
    listing = walk(flt)
    skipped: Counter[str] = Counter(listing.skipped)
    paths: list[str] = []
    contents: list[bytes | None] = []
    files: list[FileData | None] = []
    ranking = Bm25Builder()
    grams = TrigramBuilder()
    reads = read_cached(
        flt.root, listing.files, flt.max_bytes, outliner=outliner, workers=workers, cache=cache
    )
    for n, read in enumerate(reads, 1):
        if read.data is None or read.info is None or read.grams is None:
            skipped[read.reason or "unreadable"] += 1
        else:
            ranking.add(len(paths), read.info.chunks, file_prior(read.rel))
            paths.append(read.rel)
            contents.append(read.data)
            files.append(read.info.without_chunks())
            grams.add_grams(read.grams)
        if progress and (n % 200 == 0 or n == len(listing.files)):
            progress(n, len(listing.files))
    priors = {i: file_prior(rel) for i, rel in enumerate(paths) if file_prior(rel) != 1.0}
    return RepoSnapshot(
        name=name,
        root=flt.root,
        paths=tuple(paths),
        contents=tuple(contents),
        files=tuple(files),
        trigrams=grams.build(),
        defs=_definitions(files),
        imported=imported_counts(files),
        bm25=ranking.build(),
        priors=priors,
        secondary=np.fromiter((listed_later(p) for p in paths), dtype=np.bool_, count=len(paths)),
        skipped=dict(skipped),
        seconds=time.perf_counter() - started,
    )


def imported_counts(files: Iterable[FileData | None]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for data in files:
        if data is not None:
            counts.update(data.imports)
    return dict(counts)


def _definitions(files: Iterable[FileData | None]) -> dict[str, tuple[tuple[int, int], ...]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for fid, data in enumerate(files):
        if data is None:
            continue
        for i, sym in enumerate(data.symbols):
            if sym.kind != "heading":
                found.setdefault(sym.name.lower(), []).append((fid, i))
    return {k: tuple(v) for k, v in found.items()}


def update(
    snap: RepoSnapshot, rels: Iterable[str], flt: FileFilter, *, outliner: Outliner
) -> RepoSnapshot:
    """A snapshot with the files `rels` re-read from disk (changed, added or deleted)."""
    paths, contents, files = list(snap.paths), list(snap.contents), list(snap.files)
    fid_of = {rel: _find(snap.paths, rel) for rel in set(rels)}
    priors = dict(snap.priors)
    changed: set[int] = set()
    new_chunks: list[tuple[int, Chunk]] = []
    for rel in fid_of:
        fid = fid_of[rel]
        data = read_admitted(flt, rel)  # judged exactly as the start-up walk judged its files
        if fid is None:
            if data is None:
                continue
            fid = len(paths)
            paths.append(rel)
            contents.append(None)
            files.append(None)
            fid_of[rel] = fid
            if file_prior(rel) != 1.0:
                priors[fid] = file_prior(rel)
        changed.add(fid)
        contents[fid] = data
        files[fid] = None
        if data is not None:
            info = analyze(outliner, rel, data)
            new_chunks.extend((fid, c) for c in info.chunks)
            files[fid] = info.without_chunks()
    if not changed:
        return snap
    defs = _redefine(snap, files, changed)
    return dataclasses.replace(
        snap,
        paths=tuple(paths),
        contents=tuple(contents),
        files=tuple(files),
        trigrams=snap.trigrams.with_stale(changed),
        defs=defs,
        imported=_reimported(snap, files, changed),
        bm25=snap.bm25.replace_files(changed, new_chunks),
        priors=priors,
        secondary=np.append(
            snap.secondary,
            np.array([listed_later(p) for p in paths[len(snap.paths) :]], dtype=np.bool_),
        ),
    )


def _find(paths: tuple[str, ...], rel: str) -> int | None:
    try:
        return paths.index(rel)  # a C loop: cheaper than building a dict for a few lookups
    except ValueError:
        return None


def _reimported(
    snap: RepoSnapshot, files: list[FileData | None], changed: set[int]
) -> dict[str, int]:
    """The import counts with the changed files' old imports out and new ones in."""
    counts = dict(snap.imported)  # a copy of one dict: no walk over every file
    for fid in changed:
        old = snap.files[fid] if fid < len(snap.files) else None
        for name in old.imports if old else ():
            counts[name] -= 1
            if counts[name] <= 0:
                del counts[name]
        new = files[fid]
        for name in new.imports if new else ():
            counts[name] = counts.get(name, 0) + 1
    return counts


def _redefine(
    snap: RepoSnapshot, files: list[FileData | None], changed: set[int]
) -> dict[str, tuple[tuple[int, int], ...]]:
    """The definitions table with the changed files' old entries out and new ones in."""
    defs = dict(snap.defs)
    for fid in changed:
        old = snap.files[fid] if fid < len(snap.files) else None
        for name in {s.name.lower() for s in old.symbols} if old else ():
            kept = tuple(e for e in defs.get(name, ()) if e[0] != fid)
            if kept:
                defs[name] = kept
            else:
                defs.pop(name, None)
    for fid in sorted(changed):
        info = files[fid]
        for i, sym in enumerate(info.symbols if info else ()):
            if sym.kind != "heading":
                name = sym.name.lower()
                defs[name] = (*defs.get(name, ()), (fid, i))
    return defs
