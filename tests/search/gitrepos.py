"""Real git repositories for the tests: a bare "remote" and a working copy that pushes to it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


class Upstream:
    """A bare repository at ``bare`` and a clone at ``work`` used to commit and push."""

    def __init__(self, root: Path, files: dict[str, str], *, branch: str = "main") -> None:
        self.bare = root / "upstream.git"
        self.work = root / "upstream-work"
        self.branch = branch
        self.bare.mkdir(parents=True)
        run("init", "-q", "--bare", f"--initial-branch={branch}", str(self.bare), cwd=root)
        self.work.mkdir()
        run("init", "-q", f"--initial-branch={branch}", cwd=self.work)
        run("remote", "add", "origin", str(self.bare), cwd=self.work)
        self.commit(files, "first")

    def commit(self, files: dict[str, str], message: str, *, deleted: tuple[str, ...] = ()) -> str:
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for rel in deleted:
            (self.work / rel).unlink()
        run("add", "-A", cwd=self.work)
        run("commit", "-q", "-m", message, cwd=self.work)
        run("push", "-q", "--force", "origin", f"HEAD:{self.branch}", cwd=self.work)
        return run("rev-parse", "HEAD", cwd=self.work)

    def head(self) -> str:
        return run("rev-parse", "HEAD", cwd=self.work)
