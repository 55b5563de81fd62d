"""The index answers a regex with the same lines ripgrep finds, on real code."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bot.search.engine import all_matches
from bot.search.index import RepoSnapshot

PATTERNS = [
    r"def \w+\(self",
    r"^class \w+\(",
    r"import (os|sys)$",
    r"(?i)todo|fixme",
    r"\bt\.Optional\[",
    r"raise \w+Error\(",
    r"[A-Z]{3,}",
    r"\d+\.\d+",
    r"__\w+__",
    r"self\._\w+ = None",
]


@pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep (rg) is not installed")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_same_lines_as_ripgrep(package_snapshots: dict[str, RepoSnapshot], pattern: str) -> None:
    snap = package_snapshots["jinja2"]
    argv = ["rg", "--no-config", "--no-ignore", "--no-unicode", "-n", "--no-heading"]
    argv += ["--with-filename", "--color", "never", "-g", "*.py", "-e", pattern, "."]
    done = subprocess.run(argv, cwd=snap.root, capture_output=True, check=False)
    expected = set()
    for raw in done.stdout.decode().splitlines():
        path, line, _rest = raw.split(":", 2)
        expected.add(f"{path.removeprefix('./')}:{line}")
    got = {m for m in all_matches(snap, pattern) if m.split(":")[0].endswith(".py")}
    assert got == expected
    assert expected, "the pattern should match something in jinja2"
