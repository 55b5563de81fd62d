"""Which files of a repository are searchable, and reading them safely."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from bot.errors import PathOutsideRepoError

EXTENSIONS: frozenset[str] = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java",
        ".cpp", ".cc", ".cxx", ".hpp", ".hh", ".c", ".h", ".md", ".json", ".yaml", ".yml",
        ".go", ".rs", ".rb", ".cs", ".kt", ".kts", ".php", ".pyx", ".pxd",
    }
)  # fmt: skip
SKIP_DIRS: frozenset[str] = frozenset({"__pycache__", "node_modules"})
GENERATED_NAMES: tuple[str, ...] = (".min.js", ".min.css", "_pb2.py", "package-lock.json")
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

    def wanted_name(self, rel: str) -> bool:
        """Extension and include/exclude globs (no file system access)."""
        if os.path.splitext(rel)[1].lower() not in self.extensions:
            return False
        if rel.endswith(GENERATED_NAMES):
            return False
        if self.include and not _spec(self.include).match_file(rel):
            return False
        return not (self.exclude and _spec(self.exclude).match_file(rel))


@dataclass(slots=True)
class WalkResult:
    files: list[str] = field(default_factory=list)  # relative posix paths, sorted
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count


def _spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(globs)


def walk(flt: FileFilter) -> WalkResult:
    """Every candidate file under the root: .gitignore honoured, hidden entries and symlinks
    leading out skipped. Content checks (binary, huge, generated) happen in `read_indexable`.
    """
    result = WalkResult()
    include = _spec(flt.include) if flt.include else None
    exclude = _spec(flt.exclude) if flt.exclude else None
    for rel in _walk_dir(flt.root, "", [], result):
        if os.path.splitext(rel)[1].lower() not in flt.extensions:
            continue
        if rel.endswith(GENERATED_NAMES):
            result.skipped["generated"] += 1
        elif (include and not include.match_file(rel)) or (exclude and exclude.match_file(rel)):
            result.skipped["excluded"] += 1
        else:
            result.files.append(rel)
    result.files.sort()
    return result


def _walk_dir(
    root: Path, prefix: str, ignores: list[tuple[str, pathspec.GitIgnoreSpec]], result: WalkResult
) -> Iterator[str]:
    here = root / prefix if prefix else root
    gitignore = here / ".gitignore"
    if gitignore.is_file():
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            ignores = [*ignores, (prefix, pathspec.GitIgnoreSpec.from_lines(lines))]
        except OSError:
            pass
    try:
        entries = sorted(os.scandir(here), key=lambda e: e.name)
    except OSError:
        result.skipped["unreadable"] += 1
        return
    for entry in entries:
        rel = f"{prefix}/{entry.name}" if prefix else entry.name
        if entry.name.startswith(".") or entry.name in SKIP_DIRS:
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if entry.is_symlink() and (
                is_dir or not _inside(root, Path(entry.path)) or Path(entry.path).is_dir()
            ):
                result.skipped["symlink"] += 1
                continue
        except OSError:
            result.skipped["unreadable"] += 1
            continue
        if _ignored(ignores, rel, is_dir):
            continue
        if is_dir:
            yield from _walk_dir(root, rel, ignores, result)
        elif entry.is_file():
            yield rel


def _ignored(ignores: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str, is_dir: bool) -> bool:
    for base, spec in ignores:
        sub = rel[len(base) + 1 :] if base else rel
        if spec.match_file(sub + "/" if is_dir else sub):
            return True
    return False


def _inside(root: Path, path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def safe_path(root: Path, rel: str) -> Path:
    """The file `rel` inside `root`; PathOutsideRepoError for ../, absolute paths, symlinks out."""
    if not rel or "\x00" in rel:
        raise PathOutsideRepoError(f"'{rel}' is not a file path inside the repository")
    candidate = Path(rel)
    if candidate.is_absolute() or rel.startswith(("/", "\\")) or ".." in candidate.parts:
        raise PathOutsideRepoError(f"'{rel}' points outside the repository; use a relative path")
    full = root / candidate
    if not _inside(root, full):
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
    ignored = pathspec.GitIgnoreSpec.from_lines([*lines, *flt.exclude])
    return [
        child
        for child in sorted(root.iterdir())
        if child.is_dir()
        and not child.is_symlink()
        and not child.name.startswith(".")
        and not ignored.match_file(child.name + "/")
        and not ignored.match_file(child.name + "/x")
    ]
