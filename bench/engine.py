"""Turns per second of the conversation engine alone: SQLite store, real flows, real search.

1,000 distinct users walk the shipped flows (greeting, repo choice, a search, paging, opening a
result, back, help, menu). Workers interleave the users so every turn reads its session back from
SQLite. The anchor, measured in the same run on the same store: a bare turn that only loads the
session and saves it with one conversation row (the floor any engine pays).

    .venv/bin/python bench/engine.py [--users 1000] [--workers 4]

Workers are turns in flight at once on the one event loop. Latency is measured per turn, so it
includes the wait behind the other turns in flight: with 4 it is close to a turn's own time; with
32 the throughput is about the same and p50/p99 grow with the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings, load_settings
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.base import ConversationRow, Session

TARGET_TURNS_PER_S = 2000  # on a 2-core machine, 4 turns in flight
TARGET_P99_MS = 5.0

SCRIPT = (
    "hi",
    "2",
    "jinja2",
    "Environment",
    "more",
    "open 2",
    "back",
    "help",
    "menu",
    "thanks",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_workers(
    users: list[str], workers: int, turn: object, by_step: dict[int, list[float]] | None = None
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    chunks = [users[i::workers] for i in range(workers)]

    async def worker(mine: list[str]) -> None:
        for step, text in enumerate(SCRIPT):
            for user in mine:
                started = time.perf_counter()
                await turn(user, text, step)  # type: ignore[operator]
                elapsed = (time.perf_counter() - started) * 1000
                latencies.append(elapsed)
                if by_step is not None:
                    by_step.setdefault(step, []).append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in chunks))
    return time.perf_counter() - started, latencies


async def bench(settings: Settings, users: int, workers: int) -> dict[str, float]:
    services = await Services.create(settings, watch_flows=False)
    try:
        while services.search.status().get("state") not in ("ready", "error"):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        engine = services.engine
        ids = [f"bench:{i}" for i in range(users)]
        replies = 0

        async def engine_turn(user: str, text: str, step: int) -> None:
            nonlocal replies
            result = await engine.handle(Inbound(user_id=user, text=text))
            replies += len(result.replies)

        async def bare_turn(user: str, text: str, step: int) -> None:
            store = services.store
            session = await store.load_session("bare:" + user) or Session("bare:" + user)
            session.slots["step"] = step
            row = ConversationRow("bare:" + user, text, "ok", time.time())
            await store.save_turn(session, [row])

        # warm-up: compile templates, fill caches
        await run_workers(ids[:20], 4, engine_turn)
        bare_s, bare_lat = await run_workers(ids, workers, bare_turn)
        by_step: dict[int, list[float]] = {}
        engine_s, engine_lat = await run_workers(ids, workers, engine_turn, by_step)
        for step, values in sorted(by_step.items()):
            print(f"  step {step} {SCRIPT[step]!r:16} p50 {statistics.median(values):7.2f} ms")
        turns = len(engine_lat)
        return {
            "turns": turns,
            "turns_per_s": turns / engine_s,
            "p50_ms": statistics.median(engine_lat),
            "p99_ms": percentile(engine_lat, 0.99),
            "bare_turns_per_s": len(bare_lat) / bare_s,
            "bare_p99_ms": percentile(bare_lat, 0.99),
            "replies": replies,
        }
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(root / "config.yaml", environ={}, read_dotenv=False)
        storage = dataclasses.replace(settings.storage, database_url=f"sqlite:///{tmp}/bench.db")
        settings = dataclasses.replace(settings, storage=storage)
        r = asyncio.run(bench(settings, args.users, args.workers))
    ratio = r["turns_per_s"] / r["bare_turns_per_s"]
    print(f"users={args.users} workers={args.workers} turns={r['turns']:.0f}")
    print(f"{'':24}{'turns/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    engine_row = f"{r['turns_per_s']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
    print(f"{'engine (SQLite)':24}{engine_row}")
    print(
        f"{'anchor: bare turn':24}{r['bare_turns_per_s']:>10.0f}{'':>10}{r['bare_p99_ms']:>10.2f}"
    )
    print(f"engine / bare-turn throughput ratio: {ratio:.2f}")
    met = r["turns_per_s"] >= TARGET_TURNS_PER_S and r["p99_ms"] < TARGET_P99_MS
    print(
        f"target: >= {TARGET_TURNS_PER_S} turns/s and p99 < {TARGET_P99_MS} ms: "
        f"{'met' if met else 'NOT met'}"
    )
    print(
        f"RESULT turns_per_s={r['turns_per_s']:.0f} p50_ms={r['p50_ms']:.2f} "
        f"p99_ms={r['p99_ms']:.2f} bare_turns_per_s={r['bare_turns_per_s']:.0f} ratio={ratio:.2f} "
        f"target_met={int(met)}"
    )


if __name__ == "__main__":
    main()
