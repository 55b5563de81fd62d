"""`git:` repositories: how soon a push is searchable, and what the first clone + index costs.

A generated repository of --files Python files (default 10,000) in a bare repository on disk,
served to the bot through a file:// URL (git's pack protocol, as over the network, without the
network's own latency). Measured:

- push -> searchable: a commit changing one file is pushed, a signed GitHub push event is posted
  to POST /hooks/git (the app's handler, on a local aiohttp server), and the time runs until a
  search finds the new name (p50, p95 over --pushes pushes);
- clone + index: the first `GitSync.sync` of a fresh data folder (shallow clone, checkout, index).

Anchors, in the same run: the plain `git clone --depth 1` of the same URL, and the plain
`git fetch` of each push into a separate clone.

    .venv/bin/python bench/gitsync.py [--files 10000] [--pushes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web

from bot.config import settings_from_mapping
from bot.search.gitsync import GitSync
from bot.search.service import SearchService
from bot.web.githooks import GitHookHandler

SECRET = "bench-secret"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)
    return done.stdout.decode().strip()


def module(n: int) -> str:
    return (
        f'"""Module {n}: orders of batch {n % 97}."""\n\n\n'
        f"class Handler{n}:\n"
        f"    def handle_{n}(self, request):\n"
        f"        total = compute_total_{n}(request.items)\n"
        f"        return {{'id': {n}, 'total': total}}\n\n\n"
        f"def compute_total_{n}(items):\n"
        f"    return sum(item.price * item.quantity for item in items)\n"
    )


def make_upstream(root: Path, files: int) -> tuple[Path, Path]:
    bare, work = root / "upstream.git", root / "work"
    git("init", "-q", "--bare", "--initial-branch=main", str(bare), cwd=root)
    work.mkdir()
    git("init", "-q", "--initial-branch=main", cwd=work)
    for n in range(files):
        path = work / f"pkg{n // 200}" / f"mod_{n}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(module(n), encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "generated", cwd=work)
    git("remote", "add", "origin", str(bare), cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    return bare, work


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


async def main(files: int, pushes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare, work = make_upstream(root, files)
        url = bare.as_uri()
        clone_s = timed(lambda: git("clone", "-q", "--depth", "1", url, "anchor", cwd=root))

        settings = settings_from_mapping(
            {
                "repos": [{"name": "big", "git": url}],
                "search": {"index_dir": "index", "repos_dir": "clones"},
            },
            base_dir=root,
        )
        search = SearchService.from_settings(settings, watch_changes=False)
        sync = GitSync.from_settings(settings, search)
        started = time.perf_counter()
        await sync.sync("big")
        clone_index_s = time.perf_counter() - started

        app = web.Application()
        app.router.add_post("/hooks/git", GitHookHandler(secret=SECRET, sync=sync))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        latencies, fetches = [], []
        async with ClientSession() as http:
            for i in range(pushes):
                name = f"freshly_pushed_name_{i}"
                target = work / "pkg0" / "mod_0.py"
                target.write_text(module(0) + f"\n\ndef {name}():\n    return {i}\n", "utf-8")
                git("commit", "-q", "-am", f"push {i}", cwd=work)
                git("push", "-q", "origin", "HEAD:main", cwd=work)
                event = {"ref": "refs/heads/main", "repository": {"clone_url": url}}
                body = json.dumps(event).encode()
                digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {"X-Hub-Signature-256": f"sha256={digest}"}
                started = time.perf_counter()
                async with http.post(
                    f"http://127.0.0.1:{port}/hooks/git", data=body, headers=headers
                ) as resp:
                    assert resp.status == 202, resp.status
                while True:
                    found = await search.search(name, repo="big", kind="symbol")
                    # The exact name: a near miss (the previous push's name) does not count.
                    if any(f"def {name}(" in h.text for h in found.hits):
                        break
                    if time.perf_counter() - started > 60:
                        raise SystemExit(f"push {i} was not searchable within 60 s")
                    await asyncio.sleep(0.005)
                latencies.append((time.perf_counter() - started) * 1000)
                fetch_s = timed(lambda: git("fetch", "-q", "--depth", "1", cwd=root / "anchor"))
                fetches.append(fetch_s * 1000)
        await runner.cleanup()
        await sync.close()
        await search.close()

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    fetch_p50 = statistics.median(fetches)
    print(f"repository: {files} files; {pushes} pushes of one changed file")
    print(
        f"push -> searchable: p50 {p50:.0f} ms, p95 {p95:.0f} ms (anchor git fetch p50 "
        f"{fetch_p50:.0f} ms)"
    )
    print(
        f"first clone + index: {clone_index_s:.1f} s (anchor git clone --depth 1: {clone_s:.1f} s)"
    )
    print(
        f"RESULT push_to_searchable_p50_ms={p50:.0f} push_to_searchable_p95_ms={p95:.0f} "
        f"fetch_p50_ms={fetch_p50:.0f} clone_index_s={clone_index_s:.1f} clone_s={clone_s:.2f} "
        f"ratio={clone_index_s / clone_s:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--pushes", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.files, args.pushes))
