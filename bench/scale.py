"""Throughput of real server.py instances: SQLite vs PostgreSQL on one instance, and two
instances vs one on PostgreSQL + Redis, measured in the same run.

Each simulated user sends a scripted conversation through signed Twilio webhooks, waiting for
each reply before the next message (as a person does); users run concurrently and their
messages are spread over the instances round-robin. After each scenario the database is checked:
every message stored once, none lost. Every scenario runs ``--rounds`` times, in alternating
order, and the best round is shown: the machine is shared, and the best round is the one least
disturbed by other work.

    .venv/bin/python bench/scale.py [--users 100] [--turns 8] [--rounds 2]

Needs PostgreSQL on 127.0.0.1:5432 (db `test`) and Redis on 127.0.0.1:6379 (`make services`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cluster import PG_URL, REDIS_URL, Cluster, Instance, post, write_config

SCRIPT = ("hi", "2", "1", "Template", "more", "help", "menu", "start over")


@dataclass(frozen=True)
class Outcome:
    name: str
    instances: int
    messages: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    stored: int

    @property
    def per_s(self) -> float:
        return self.messages / self.seconds


async def load(instances: list[Instance], users: int, turns: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    counter = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def user(n: int) -> None:
            nonlocal failures, counter
            sender = f"whatsapp:+1555{n:07d}"
            for t in range(turns):
                counter += 1
                target = instances[counter % len(instances)]
                started = time.perf_counter()
                status, _ = await post(http, target, sender, SCRIPT[t % len(SCRIPT)], _sid())
                latencies.append(time.perf_counter() - started)
                failures += status != 200

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        return time.perf_counter() - started, latencies, failures


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


async def count_rows(url: str, schema: str | None, db: Path | None) -> int:
    if db is not None:
        import sqlite3

        conn = sqlite3.connect(db)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0])
        finally:
            conn.close()
    pg = await asyncpg.connect(url, server_settings={"search_path": schema or "public"})
    try:
        return int(await pg.fetchval("SELECT COUNT(*) FROM conversations"))
    finally:
        await pg.close()


async def scenario(
    name: str, work: Path, *, instances: int, postgres: bool, redis: bool, users: int, turns: int
) -> Outcome:
    folder = work / name
    folder.mkdir()
    schema, db = None, None
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        pg = await asyncpg.connect(PG_URL)
        await pg.execute(f"CREATE SCHEMA {schema}")
        await pg.close()
        url = f"{PG_URL}?search_path={schema}"
        if "nosync" in name:  # what the WAL flush of each commit costs on this disk
            url += "&synchronous_commit=off"
    else:
        db = folder / "bot.db"
        url = f"sqlite:///{db}"
    config = write_config(folder, database_url=url, redis_url=REDIS_URL if redis else "")
    try:
        with Cluster(config) as cluster:
            started = cluster.start(instances)
            await load(started, 5, 2)  # warm up: connections, caches
            seconds, latencies, failures = await load(started, users, turns)
        stored = await count_rows(PG_URL, schema, db)
    finally:
        if schema:
            pg = await asyncpg.connect(PG_URL)
            await pg.execute(f"DROP SCHEMA {schema} CASCADE")
            await pg.close()
    latencies.sort()
    return Outcome(
        name=name,
        instances=instances,
        messages=len(latencies),
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        failures=failures,
        stored=stored - 10,  # the warm-up's rows
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of every scenario; the best one is shown"
    )
    args = parser.parse_args()
    runs = [
        ("sqlite-1", 1, False, False),
        ("postgres-1", 1, True, False),
        ("pg-nosync-1", 1, True, False),
        ("pg+redis-1", 1, True, True),
        ("pg+redis-2", 2, True, True),
    ]
    results: dict[str, Outcome] = {}
    lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            # Alternate the order so no scenario always runs first (cold) or last.
            for name, count, postgres, redis in runs if round_ % 2 == 0 else runs[::-1]:
                outcome = await scenario(
                    f"{name}.{round_}",
                    Path(tmp),
                    instances=count,
                    postgres=postgres,
                    redis=redis,
                    users=args.users,
                    turns=args.turns,
                )
                outcome = dataclasses.replace(outcome, name=name)
                lost += abs(outcome.messages - outcome.stored) + outcome.failures
                best = results.get(name)
                if best is None or outcome.per_s > best.per_s:
                    results[name] = outcome
    print(
        f"{'scenario':<12} {'inst':>4} {'msgs':>6} {'msg/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'failed':>6} {'stored':>6}"
    )
    for r in results.values():
        print(
            f"{r.name:<12} {r.instances:>4} {r.messages:>6} {r.per_s:>8.0f} {r.p50_ms:>8.1f} "
            f"{r.p99_ms:>8.1f} {r.failures:>6} {r.stored:>6}"
        )
    sqlite, pg = results["sqlite-1"], results["postgres-1"]
    one, two = results["pg+redis-1"], results["pg+redis-2"]
    print(f"two instances / one (PostgreSQL + Redis): {two.per_s / one.per_s:.2f}x")
    print(f"SQLite / PostgreSQL (one instance):       {sqlite.per_s / pg.per_s:.2f}x")
    nosync = results["pg-nosync-1"]
    print(f"PostgreSQL without / with commit flush:   {nosync.per_s / pg.per_s:.2f}x")
    print(
        f"RESULT sqlite1_msgs_per_s={sqlite.per_s:.0f} pg1_msgs_per_s={pg.per_s:.0f} "
        f"pg_redis1_msgs_per_s={one.per_s:.0f} pg_redis2_msgs_per_s={two.per_s:.0f} "
        f"two_vs_one={two.per_s / one.per_s:.2f} sqlite_vs_pg={sqlite.per_s / pg.per_s:.2f} "
        f"pg_nosync_vs_pg={nosync.per_s / pg.per_s:.2f} "
        f"p99_ms_two={two.p99_ms:.1f} lost_or_duplicated={lost}"
    )
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
