"""Each dashboard page's full render: an HTTP GET through the app (session check, the store's
queries, the charts, the template), on a month of generated traffic in SQLite. The anchor,
measured in the same run on the same database: a plain ``SELECT count(*) FROM conversations``.

    .venv/bin/python bench/dashboard_pages.py [--rows 1000000] [--runs 20] [--db PATH]

The rows are bench/dashboard.py's (same generator, inserted through the schema's triggers as
the store writes them; ``--db`` keeps them for the next run). Pages are read for the last 30
days, the widest preset: overview, flow funnel (with its diagram), search, conversations (and
filtered), a transcript and a CSV export; overview, funnel and search for the last 24 h and
7 days too. Target: every page under 500 ms at p95.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from dashboard import NOW, fill  # noqa: E402  (bench/dashboard.py)

from bot.actions import default_actions  # noqa: E402
from bot.config import settings_from_mapping  # noqa: E402
from bot.engine.registry import check_flows  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from bot.web.dashboard.app import dashboard_app, mount  # noqa: E402

TARGET_MS = 500.0
PASSWORD = "bench password"
MONTH = "window=30d"
PAGES = {
    **{
        f"{name}_{window}": f"/dashboard{path}?window={window}"
        for name, path in (("overview", "/"), ("funnel", "/funnel"), ("search", "/search"))
        for window in ("24h", "7d", "30d")
    },
    "conversations_30d": f"/dashboard/conversations?{MONTH}",
    "filtered_30d": f"/dashboard/conversations?{MONTH}&channel=slack&outcome=not_understood",
    "export_days_30d": f"/dashboard/export/days.csv?{MONTH}",
}


async def login(http: aiohttp.ClientSession, base: str) -> None:
    form = await (await http.get(f"{base}/dashboard/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token, "no login form"
    data = {"csrf": token.group(1), "password": PASSWORD, "user": "operator"}
    response = await http.post(f"{base}/dashboard/login", data=data, allow_redirects=False)
    assert response.status == 303, response.status


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Anchor:
    """``SELECT count(*)`` on its own connection, timed between the pages' runs, so it sees
    the same load as they do (the machine may be shared)."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path)
        self.times: list[float] = []
        self.rows = 0

    def measure(self, runs: int = 3) -> None:
        for _ in range(runs):
            began = time.perf_counter()
            (self.rows,) = self._conn.execute("SELECT count(*) FROM conversations").fetchone()
            self.times.append((time.perf_counter() - began) * 1000)

    @property
    def p95_ms(self) -> float:
        return p95(self.times)

    def close(self) -> None:
        self._conn.close()


async def serve(store: SqliteStore, db: Path) -> web.AppRunner:
    settings = settings_from_mapping(
        {"storage": {"database_url": f"sqlite:///{db}"}, "dashboard": {"password": PASSWORD}},
        base_dir=ROOT,
    )
    flows, _problems, _templates = check_flows(
        ROOT / "flows", actions=default_actions(), nlu=settings.nlu, base=ROOT
    )
    assert flows is not None
    app = web.Application()
    dashboard = dashboard_app(
        settings, analytics=lambda: store.analytics, flows=lambda: flows, clock=lambda: NOW
    )
    mount(app, dashboard)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def pages(base: str, runs: int, anchor: Anchor) -> dict[str, tuple[float, float]]:
    """Each page's (p50, p95) in ms over ``runs`` GETs after one to warm up."""
    results = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await login(http, base)
        listing = await (await http.get(base + PAGES["conversations_30d"])).text()
        key = re.search(r"/dashboard/conversations/(\d+)\?", listing)
        assert key, "no conversation listed"
        for name, path in {**PAGES, "transcript": f"/dashboard/conversations/{key[1]}"}.items():
            await http.get(base + path)  # warm
            times = []
            for _ in range(runs):
                anchor.measure(1)
                began = time.perf_counter()
                async with http.get(base + path) as response:
                    body = await response.read()
                    assert response.status == 200, (name, response.status, body[:300])
                times.append((time.perf_counter() - began) * 1000)
            results[name] = (statistics.median(times), p95(times))
            print(
                f"  {name:18} p50 {results[name][0]:7.1f} ms   p95 {results[name][1]:7.1f} ms"
                f"   {len(body) / 1024:4.0f} KiB",
                flush=True,
            )
    return results


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "dashboard.db"
        store = SqliteStore(db)
        await store.open()  # creates the schema
        have = (await store._select("SELECT count(*) FROM conversations", []))[0][0]
        if have != args.rows:
            await store.close()
            if have:
                sys.exit(f"{db} holds {have} rows, not {args.rows}: give another --db")
            print(f"generating {args.rows:,} rows ...", flush=True)
            print(f"inserted through the triggers: {fill(db, args.rows):,.0f} rows/s")
            store = SqliteStore(db)
            await store.open()
        try:
            anchor = Anchor(db)
            anchor.measure()
            runner = await serve(store, db)
            port = runner.addresses[0][1]
            try:
                results = await pages(f"http://127.0.0.1:{port}", args.runs, anchor)
            finally:
                await runner.cleanup()
                anchor.close()
        finally:
            await store.close()
    rows, anchor_ms = anchor.rows, anchor.p95_ms
    print(f"anchor: SELECT count(*) over {rows:,} rows, p95 {anchor_ms:.1f} ms (same run)")
    for name, (_p50, p95_ms) in results.items():
        print(f"  {name:18} p95 {p95_ms / anchor_ms:6.1f}x the anchor")
    worst = max(results, key=lambda name: results[name][1])
    worst_ms = results[worst][1]
    figures = " ".join(f"{name}_p95_ms={ms:.0f}" for name, (_p50, ms) in results.items())
    met = sorted(name for name, (_p50, ms) in results.items() if ms < TARGET_MS)
    print(
        f"RESULT rows={rows} anchor_p95_ms={anchor_ms:.1f} {figures} worst={worst} "
        f"worst_p95_ms={worst_ms:.0f} worst_over_anchor={worst_ms / anchor_ms:.1f} "
        f"under_500ms={len(met)}/{len(results)} met={'yes' if len(met) == len(results) else 'no'}"
    )
    return 0 if len(met) == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
