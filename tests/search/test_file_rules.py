"""Files that appear after start-up are judged by exactly the rules of the start-up walk."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import QueryError
from bot.search.files import FileFilter, rejection, walk
from bot.search.index import build
from bot.search.service import SearchService
from bot.search.symbols import Outliner

PASSWD = Path("/etc/passwd")


def _hostile_tree(repo: Path, outside: Path) -> None:
    """Everything the start-up walk leaves out, each holding the word HOSTILE."""
    (outside / "secret.py").write_text("HOSTILE = 'outside the repository'\n")
    (repo / "passwd.py").symlink_to(PASSWD)
    (repo / "leak.py").symlink_to(outside / "secret.py")
    (repo / "src" / "linkdir").symlink_to(outside, target_is_directory=True)
    (repo / "ignored.py").write_text("HOSTILE = 'git-ignored by name'\n")
    (repo / "src" / "local_notes.py").write_text("HOSTILE = 'ignored by src/.gitignore'\n")
    (repo / "src" / "gen").mkdir()
    (repo / "src" / "gen" / "out.py").write_text("HOSTILE = 'in an ignored folder'\n")
    (repo / "src" / "vendor_x.py").write_text("HOSTILE = 'excluded by the config'\n")
    (repo / "src" / "blob.py").write_bytes(b"HOSTILE = 1\n\x00\x01\x02")
    (repo / "src" / "huge.py").write_text("HOSTILE = 1\n" + "# filler\n" * 5_000)
    (repo / "src" / ".hidden.py").write_text("HOSTILE = 'hidden'\n")
    (repo / "src" / "node_modules").mkdir()
    (repo / "src" / "node_modules" / "m.js").write_text("var HOSTILE = 1;\n")
    (repo / "src" / "bundle.min.js").write_text("var HOSTILE=1;\n")
    # Written through the symlinked folder: a watcher that follows it reports src/linkdir/after.py.
    (outside / "after.py").write_text("HOSTILE = 'behind a symlinked folder'\n")


def _settings(make_repo: Callable[..., Settings]) -> Settings:
    settings = make_repo(
        {
            ".gitignore": "ignored.py\ngen/\n",
            "src/.gitignore": "local_*.py\n",
            "a.py": "ALPHA = 1\n",
            "src/b.py": "BETA = 2\n",
        },
        max_file_bytes=20_000,
    )
    repo = dataclasses.replace(settings.repos[0], exclude=("vendor_*.py",))
    return dataclasses.replace(settings, repos=(repo,))


async def _wait_for(service: SearchService, query: str, count: int) -> None:
    for _ in range(200):
        if (await service.search(query)).total >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{query} never found {count} lines")


def _indexed(service: SearchService) -> list[str]:
    snap = service.snapshot("tiny")
    assert snap is not None
    return sorted(p for p, data in zip(snap.paths, snap.contents, strict=True) if data is not None)


async def test_files_added_after_start_up_are_indexed_by_the_start_up_rules(
    make_repo: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = _settings(make_repo)
    source = settings.repos[0]
    root = source.root(settings.base_dir)
    service = SearchService.from_settings(settings)
    await service.start()
    try:
        await asyncio.wait_for(service.wait_ready(), 10)
        _hostile_tree(root, tmp_path_factory.mktemp("outside"))
        # Written last: once both are found, the changes before them have been applied.
        (root / "marker_top.py").write_text("MARKER = 1\n")
        (root / "src" / "marker_src.py").write_text("MARKER = 2\n")
        await _wait_for(service, "/MARKER/", 2)
        assert (await service.search("/root:x:0/")).hits == ()
        assert (await service.search("/HOSTILE/")).hits == ()
        expected = ["a.py", "marker_top.py", "src/b.py", "src/marker_src.py"]
        assert _indexed(service) == expected
        flt = FileFilter(root, (), ("vendor_*.py",), 20_000)
        fresh = build("tiny", flt, outliner=Outliner())
        assert list(fresh.paths) == expected
    finally:
        await service.close()


def test_every_path_gets_the_verdict_of_the_start_up_walk(
    make_repo: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = _settings(make_repo)
    root = settings.repos[0].root(settings.base_dir)
    (root / "src" / "inner.py").symlink_to(root / "a.py")  # a symlink inside the repository
    _hostile_tree(root, tmp_path_factory.mktemp("outside"))
    flt = FileFilter(root, (), ("vendor_*.py",), 20_000)
    listed = set(walk(flt).files)
    every = {
        (Path(folder) / name).relative_to(root).as_posix()
        for folder, dirs, files in os.walk(root, followlinks=True)
        for name in [*dirs, *files]
    }
    assert {"src/linkdir/after.py", "src/gen/out.py", "src/.hidden.py"} <= every
    assert {rel for rel in every if rejection(flt, rel) is None} == listed
    assert "src/inner.py" in listed and "passwd.py" not in listed
    for rel in ("../a.py", "/etc/passwd", "", "src//b.py", "missing.py"):
        assert rejection(flt, rel) is not None


async def test_open_before_indexing_reads_only_what_the_index_would_hold(
    make_repo: Callable[..., Settings],
) -> None:
    settings = _settings(make_repo)
    root = settings.repos[0].root(settings.base_dir)
    (root / "ignored.py").write_text("PASSWORD = 'hunter2'\n")
    (root / ".env").write_text("TWILIO_AUTH_TOKEN=secret\n")
    service = SearchService.from_settings(settings, watch_changes=False)  # nothing indexed yet
    assert (await service.snippet("tiny", "a.py", 1)).lines == ("ALPHA = 1",)
    for path in ("ignored.py", ".env", "src/.gitignore"):
        with pytest.raises(QueryError, match="There is no file"):
            await service.snippet("tiny", path, 1)
