"""`git:` repositories: cloned into the data folder, kept at the tip of their branch, re-indexed
by the files that changed.

Clones are shallow (depth 1): indexing needs every file of one commit and none of the history.
They are not also blob-less: a blob-less clone would fetch the same blobs again at checkout, one
more round-trip for nothing. A commit is checked out only after it was fetched and its size
checked, and the search index swaps to it in one step (`SearchService.apply`), so a failed or
refused update leaves the last good checkout and index serving.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.background import cancel_all
from bot.config import RepoConfig, Settings
from bot.search.gitcmd import GitError, GitRemote, git, repository_key

if TYPE_CHECKING:
    from bot.search.service import SearchService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fetched:
    old: str  # the commit checked out before ("" for a first clone)
    new: str
    changed: tuple[str, ...]  # paths that differ between the two (all files for a first clone)


class GitCheckout:
    """One repository's checkout: clone, fetch, compare, check out."""

    def __init__(
        self,
        name: str,
        remote: GitRemote,
        root: Path,
        *,
        branch: str = "",
        ref: str = "",
        timeout: float = 300.0,
        max_bytes: int = 2_000_000_000,
        min_free_bytes: int = 0,
    ) -> None:
        self.name = name
        self.remote = remote
        self.root = root
        self.branch = branch
        self.ref = ref
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._min_free = min_free_bytes

    async def _git(self, *args: str) -> str:
        return await git(*args, cwd=self.root, remote=self.remote, seconds=self._timeout)

    async def head(self) -> str:
        """The commit checked out; "" before the first clone."""
        if not (self.root / ".git").is_dir():
            return ""
        try:
            return (await self._git("rev-parse", "--verify", "-q", "HEAD")).strip()
        except GitError:
            return ""

    async def update(self) -> Fetched:
        """Fetch the branch (or ref) and check its commit out; GitError, with the checkout
        unchanged, when that fails or the commit is over the size limit."""
        self._check_free_space()
        old = await self.head()
        if not old:
            await self._init()
        branch = self.branch or self.ref or await self._default_branch()
        self.branch = self.branch or ("" if self.ref else branch)
        spec = branch if self.ref else f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        await self._git("fetch", "-q", "--depth", "1", "--no-tags", "origin", spec)
        new = (await self._git("rev-parse", "FETCH_HEAD^{commit}")).strip()
        if new == old:
            return Fetched(old, new, ())
        await self._check_size(new)
        if old:
            diff = await self._git("diff", "--name-only", "--no-renames", "-z", old, new)
            changed = tuple(p for p in diff.split("\0") if p)
        else:
            listed = await self._git("ls-tree", "-r", "--name-only", "-z", new)
            changed = tuple(p for p in listed.split("\0") if p)
        await self._git("checkout", "-q", "--force", "--detach", new)
        return Fetched(old, new, changed)

    async def _init(self) -> None:
        if self.root.exists():
            if any(self.root.iterdir()) and not (self.root / ".git").is_dir():
                raise GitError(
                    f"{self.root} holds files that are not a clone made here: move them, or "
                    "set search.repos_dir to a folder of its own"
                )
            await asyncio.to_thread(shutil.rmtree, self.root)  # a clone that failed half-way
        self.root.mkdir(parents=True)
        await self._git("init", "-q")
        await self._git("remote", "add", "origin", self.remote.url)

    async def _default_branch(self) -> str:
        out = await self._git("ls-remote", "--symref", "origin", "HEAD")
        for line in out.splitlines():
            if line.startswith("ref: refs/heads/"):
                return line.split("\t")[0].removeprefix("ref: refs/heads/")
        raise GitError("git ls-remote failed: the remote has no default branch; set 'branch'")

    def _check_free_space(self) -> None:
        # A fetch that fills the disk would also stop the database and the logs: refuse early.
        folder = next((p for p in (self.root, *self.root.parents) if p.exists()), self.root)
        free = shutil.disk_usage(folder).free
        if free < self._min_free:
            raise GitError(
                f"the disk is full: {free / 1e6:.0f} MB free in {folder}, fetching needs at "
                f"least {self._min_free / 1e6:.0f} MB (search.git_min_free_mb): not fetched"
            )

    async def _check_size(self, commit: str) -> None:
        listed = await self._git("ls-tree", "-r", "-l", commit)
        total = 0
        for line in listed.splitlines():
            size = line.split(None, 4)[3]
            total += int(size) if size.isdigit() else 0
        if total > self._max_bytes:
            raise GitError(
                f"commit {commit[:12]} is {total / 1e6:.1f} MB, over the limit of "
                f"{self._max_bytes / 1e6:.0f} MB (search.git_max_size_mb): not checked out"
            )


@dataclass(slots=True)
class GitStatus:
    branch: str = ""
    commit: str = ""
    fetched_at: float | None = None
    last_error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "git": {
                "branch": self.branch,
                "commit": self.commit,
                "fetched_at": self.fetched_at,
                "last_error": self.last_error,
            }
        }


class GitSync:
    """Keeps the `git:` repositories current: first clone at start (in the background), then
    every `refresh` and whenever `sync` is called (webhooks, `python -m bot repos sync`)."""

    def __init__(
        self,
        checkouts: Sequence[GitCheckout],
        search: SearchService,
        *,
        refresh: dict[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._checkouts = {c.name: c for c in checkouts}
        self._search = search
        self._refresh = refresh or {}
        self._clock = clock
        self._status = {c.name: GitStatus(branch=c.branch or c.ref) for c in checkouts}
        self._locks = {c.name: asyncio.Lock() for c in checkouts}
        self._tasks: list[asyncio.Task[None]] = []
        self._waiting: set[str] = set()  # a sync is queued behind the running one
        search.describe_with(self.details)

    @classmethod
    def from_settings(cls, settings: Settings, search: SearchService) -> GitSync:
        cfg = settings.search
        repos_dir = settings.path(cfg.repos_dir)
        checkouts = []
        failed: dict[str, str] = {}
        for repo in settings.repos:
            if not repo.git:
                continue
            root = repo.root(settings.base_dir, repos_dir=repos_dir)
            try:
                remote = _remote(repo, settings.base_dir)
            except GitError as exc:
                failed[repo.name] = str(exc)
                remote = GitRemote("")
            checkouts.append(
                GitCheckout(
                    repo.name,
                    remote,
                    root,
                    branch=repo.branch,
                    ref=repo.ref,
                    timeout=cfg.git_timeout_seconds,
                    max_bytes=int(cfg.git_max_size_mb * 1_000_000),
                    min_free_bytes=int(cfg.git_min_free_mb * 1_000_000),
                )
            )
        refresh = {r.name: r.refresh_seconds for r in settings.repos if r.git}
        sync = cls(checkouts, search, refresh=refresh)
        for name, error in failed.items():
            sync._failed(name, error)
            sync._checkouts.pop(name)
        return sync

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(self._checkouts)

    def checkout(self, name: str) -> GitCheckout | None:
        return self._checkouts.get(name)

    def details(self, name: str) -> dict[str, object]:
        status = self._status.get(name)
        return status.as_dict() if status else {}

    def status(self) -> dict[str, dict[str, object]]:
        return {name: self.details(name) for name in self._status}

    def matching(self, urls: Sequence[str]) -> list[str]:
        """The repositories cloned from one of ``urls`` (any of a push event's addresses)."""
        keys = {repository_key(u) for u in urls if u}
        return [n for n, c in self._checkouts.items() if repository_key(c.remote.url) in keys]

    def follows(self, name: str, ref: str) -> bool:
        """True when a push to ``ref`` (refs/heads/NAME) moves what ``name`` follows."""
        checkout = self._checkouts[name]
        if checkout.ref:
            return False  # pinned
        return not checkout.branch or ref == f"refs/heads/{checkout.branch}"

    def trigger(self, name: str) -> None:
        """Sync ``name`` in the background; pushes arriving during a sync make one more."""
        if name in self._waiting:
            return
        self._waiting.add(name)

        async def run() -> None:
            async with self._locks[name]:
                self._waiting.discard(name)
            await self._sync_logged(name)

        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(run(), name=f"git.push.{name}"))

    async def start(self) -> None:
        """Clone and index every repository in the background; returns at once."""
        for name in self._checkouts:
            self._tasks.append(asyncio.create_task(self._follow(name), name=f"git.{name}"))

    async def _follow(self, name: str) -> None:
        await self._sync_logged(name)
        every = self._refresh.get(name, 0.0)
        while every > 0:
            await asyncio.sleep(every)
            await self._sync_logged(name)

    async def _sync_logged(self, name: str) -> None:
        """`sync` in the background: its errors are in /health and the log, not raised."""
        try:
            await self.sync(name)
        except GitError:
            pass  # already recorded by sync
        except Exception as exc:  # a bug must not end the schedule
            log.exception("git.sync_crashed", extra={"fields": {"repo": name}})
            self._failed(name, f"unexpected error: {exc}")

    async def sync(self, name: str) -> Fetched:
        """Fetch ``name`` now and re-index what changed; GitError (also kept for /health and
        logged) when it fails: the last good checkout and index keep serving."""
        checkout = self._checkouts[name]
        async with self._locks[name]:
            try:
                fetched = await checkout.update()
            except GitError as exc:
                self._failed(name, str(exc))
                raise
            except OSError as exc:  # the data folder itself: full, read-only, gone
                error = f"git {name}: {exc.strerror or exc} ({checkout.root})"
                self._failed(name, error)
                raise GitError(error) from exc
            status = self._status[name]
            status.fetched_at = self._clock()
            status.branch = checkout.branch or checkout.ref
            indexed = self._search.commit(name)
            if fetched.new != indexed:
                # Only the changed files when the index holds the commit checked out before;
                # every file after a restart or a failed build.
                changed = fetched.changed if indexed and indexed == fetched.old else None
                await self._search.apply(name, changed, fetched.new)
            else:
                self._search.recovered(name)
                log.info(
                    "git.updated",
                    extra={
                        "fields": {
                            "repo": name,
                            "commit": fetched.new,
                            "changed_files": len(fetched.changed),
                        }
                    },
                )
            status.commit = self._search.commit(name)  # the commit searches are answered from
            status.last_error = self._search.errors.get(name, "")
            return fetched

    def _failed(self, name: str, error: str) -> None:
        log.error("git.sync_failed", extra={"fields": {"repo": name, "error": error}})
        self._status[name].last_error = error
        self._search.fail(name, error)

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_all(tasks)


def _remote(repo: RepoConfig, base: Path) -> GitRemote:
    return GitRemote.of(
        repo.git,
        base=base,
        token_env=repo.token_env,
        username=repo.username,
        ssh_key=repo.ssh_key,
    )
