"""Which files of a repository are searchable, and reading them safely."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import PathOutsideRepoError
from bot.search.rules import (
    Ignores,
    PathEntry,
    entry_rejection,
    inside,
    name_rejection,
    spec,
    with_gitignore,
)

if TYPE_CHECKING:
    pass

EXTENSIONS: frozenset[str] = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java",
        ".cpp", ".cc", ".cxx", ".hpp", ".hh", ".c", ".h", ".md", ".json", ".yaml", ".yml",
        ".go", ".rs", ".rb", ".cs", ".kt", ".kts", ".php", ".pyx", ".pxd",
    }
)  # fmt: skip
BINARY_SNIFF = 8192
MAX_LINE_CHARS = 2000  # a file with longer lines is minified or generated


@dataclass(frozen=True, slots=True)
class FileFilter:
    """Decides which files of one repository are indexed."""

    root: Path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_bytes: int = 1_000_000
    extensions: frozenset[str] = EXTENSIONS


@dataclass(frozen=True, slots=True)
class RepoSource:
    name: str
    root: Path
    filter: FileFilter


@dataclass(slots=True)
class WalkResult:
    files: list[str] = field(default_factory=list)  # relative posix paths, sorted
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count


_COUNTED = frozenset({"symlink", "unreadable", "generated", "excluded"})


def walk(flt: FileFilter) -> WalkResult:
    """Every candidate file under the root: .gitignore honoured, hidden entries and symlinks
    leading out skipped. Content checks (binary, huge, generated) happen in `read_indexable`.
    """
    result = WalkResult()
    include = spec(flt.include) if flt.include else None
    exclude = spec(flt.exclude) if flt.exclude else None
    for rel in _walk_dir(flt.root, "", [], result):
        reason = name_rejection(flt.extensions, rel, include, exclude)
        if reason is None:
            result.files.append(rel)
        elif reason in _COUNTED:
            result.skipped[reason] += 1
    result.files.sort()
    return result


def rejection(flt: FileFilter, rel: str) -> str | None:
    """Why `walk` would leave the file `rel` out ("symlink", "ignored", "excluded", "missing",
    ...), or None when it would list it: a change seen after start-up is judged exactly as the
    start-up walk judged its files, folder by folder from the root."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "" in parts or ".." in parts or "\x00" in rel:
        return "outside"
    ignores = with_gitignore(flt.root, "", [])
    prefix = ""
    for name in parts:
        sub = f"{prefix}/{name}" if prefix else name
        try:
            entry = PathEntry(flt.root / sub)
        except OSError:
            return "missing"
        reason, is_dir = entry_rejection(flt.root, sub, entry, ignores)
        if reason is not None:
            return reason
        if sub == rel:
            if is_dir:
                return "not a file"
            include = spec(flt.include) if flt.include else None
            exclude = spec(flt.exclude) if flt.exclude else None
            return name_rejection(flt.extensions, rel, include, exclude)
        if not is_dir:
            return "missing"
        ignores = with_gitignore(flt.root, sub, ignores)
        prefix = sub
    return "missing"  # pragma: no cover - the loop always reaches `rel`


def read_admitted(flt: FileFilter, rel: str) -> bytes | None:
    """The content of `rel` when a build would index it (same walk rules, same content checks)."""
    if rejection(flt, rel) is not None:
        return None
    return read_indexable(flt.root, rel, flt.max_bytes)[0]


def _walk_dir(root: Path, prefix: str, ignores: Ignores, result: WalkResult) -> Iterator[str]:
    here = root / prefix if prefix else root
    ignores = with_gitignore(root, prefix, ignores)
    try:
        entries = sorted(os.scandir(here), key=lambda e: e.name)
    except OSError:
        result.skipped["unreadable"] += 1
        return
    for entry in entries:
        rel = f"{prefix}/{entry.name}" if prefix else entry.name
        reason, is_dir = entry_rejection(root, rel, entry, ignores)
        if reason in _COUNTED:
            result.skipped[reason] += 1
        elif reason is not None:
            continue
        elif is_dir:
            yield from _walk_dir(root, rel, ignores, result)
        else:
            yield rel


def safe_path(root: Path, rel: str) -> Path:
    """The file `rel` inside `root`; PathOutsideRepoError for ../, absolute paths, symlinks out."""
    if not rel or "\x00" in rel:
        raise PathOutsideRepoError(f"'{rel}' is not a file path inside the repository")
    candidate = Path(rel)
    if candidate.is_absolute() or rel.startswith(("/", "\\")) or ".." in candidate.parts:
        raise PathOutsideRepoError(f"'{rel}' points outside the repository; use a relative path")
    full = root / candidate
    if not inside(root, full):
        raise PathOutsideRepoError(f"'{rel}' leads outside the repository (symbolic link)")
    return full


def classify(data: bytes, max_bytes: int) -> str | None:
    """Why the content is not indexed ("binary", "huge", "generated"), or None to index it."""
    if len(data) > max_bytes:
        return "huge"
    if b"\x00" in data[:BINARY_SNIFF]:
        return "binary"
    head = data[:1024]
    if b"@generated" in head or b"DO NOT EDIT" in head:
        return "generated"
    if len(data) > MAX_LINE_CHARS and max(map(len, data.split(b"\n"))) > MAX_LINE_CHARS:
        return "generated"
    return None


def read_indexable(root: Path, rel: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """(content, None) for an indexable file, else (None, reason)."""
    path = root / rel
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, "huge"
        data = path.read_bytes()
    except OSError:
        return None, "unreadable"
    reason = classify(data, max_bytes)
    return (None, reason) if reason else (data, None)


def watch_targets(flt: FileFilter) -> list[Path]:
    """The root's folders worth watching for changes (recursively): not hidden, git-ignored or
    excluded. A virtualenv or build folder inside a repository would otherwise cost an inotify
    watch per folder and most of a second to set up. The root itself is watched on its own."""
    root = flt.root
    gitignore = root / ".gitignore"
    lines = (
        gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        if gitignore.is_file()
        else []
    )
    ignored = spec([*lines, *flt.exclude])
    return [
        child
        for child in sorted(root.iterdir())
        if child.is_dir()
        and not child.is_symlink()
        and not child.name.startswith(".")
        and not ignored.match_file(child.name + "/")
        and not ignored.match_file(child.name + "/x")
    ]
