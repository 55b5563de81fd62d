"""The rules that decide, entry by entry, which files of a repository may be indexed.

Used by the start-up walk and by every change seen later (files.walk and files.rejection), so a
file added after start-up is judged exactly like one that was there before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pathspec

SKIP_DIRS: frozenset[str] = frozenset({"__pycache__", "node_modules"})
GENERATED_NAMES: tuple[str, ...] = (".min.js", ".min.css", "_pb2.py", "package-lock.json")


def spec(globs: Iterable[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # with the first walk: configuring a repository does not need it

    return pathspec.GitIgnoreSpec.from_lines(globs)


Ignores = list[tuple[str, "pathspec.GitIgnoreSpec"]]


class Entry(Protocol):
    """What the rules look at: an os.DirEntry while walking, a PathEntry for one changed path."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...

    def is_file(self, *, follow_symlinks: bool = True) -> bool: ...

    def is_symlink(self) -> bool: ...


class PathEntry:
    """One path as os.scandir would have listed it (lstat), for files.rejection."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.path = str(path)
        self._mode = path.lstat().st_mode

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        return os.path.isdir(self.path) if follow_symlinks else stat.S_ISDIR(self._mode)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        return os.path.isfile(self.path) if follow_symlinks else stat.S_ISREG(self._mode)

    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self._mode)


def entry_rejection(
    root: Path, rel: str, entry: Entry, ignores: Ignores
) -> tuple[str | None, bool]:
    """(why the entry is left out, or None; whether it is a folder to descend into). The one
    place that decides, for the start-up walk and for every later change (files.rejection)."""
    name = entry.name
    if name.startswith(".") or name in SKIP_DIRS:
        return "hidden", False
    try:
        is_dir = entry.is_dir(follow_symlinks=False)
        if entry.is_symlink() and (
            is_dir or not inside(root, Path(entry.path)) or Path(entry.path).is_dir()
        ):
            return "symlink", False
    except OSError:
        return "unreadable", False
    if ignored(ignores, rel, is_dir):
        return "ignored", False
    if not is_dir and not entry.is_file():
        return "not a file", False
    return None, is_dir


def name_rejection(
    extensions: frozenset[str],
    rel: str,
    include: pathspec.GitIgnoreSpec | None,
    exclude: pathspec.GitIgnoreSpec | None,
) -> str | None:
    """Extension, generated names and the configured include/exclude globs."""
    if os.path.splitext(rel)[1].lower() not in extensions:
        return "extension"
    if rel.endswith(GENERATED_NAMES):
        return "generated"
    if (include and not include.match_file(rel)) or (exclude and exclude.match_file(rel)):
        return "excluded"
    return None


def with_gitignore(root: Path, prefix: str, ignores: Ignores) -> Ignores:
    gitignore = (root / prefix if prefix else root) / ".gitignore"
    if gitignore.is_file():
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            return [*ignores, (prefix, spec(lines))]
        except OSError:
            pass
    return ignores


def ignored(ignores: Ignores, rel: str, is_dir: bool) -> bool:
    for base, patterns in ignores:
        sub = rel[len(base) + 1 :] if base else rel
        if patterns.match_file(sub + "/" if is_dir else sub):
            return True
    return False


def inside(root: Path, path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False
