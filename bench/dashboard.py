"""The dashboard's data on a month of traffic: each `Analytics` page read from SQLite.

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--runs 9] [--db PATH]

1. Generates ``--rows`` conversation rows over 30 days in a fresh SQLite store (or reuses
   ``--db`` when it already holds them): 20,000 senders of Zipf-like activity on three
   channels, conversations of 1-15 turns walking a state graph, not-understood and clarifying
   turns, errors, fired timeouts, rate-limited messages, searches from a vocabulary of 5,000
   queries over four repositories, reply latencies and language-model costs. Rows are inserted
   through the schema's triggers, as the store writes them (the insert rate is printed).
2. Times every page through the store's read path (``store.analytics``) for the last 24 h,
   7 d and 30 d: p50 and p95 over ``--runs`` runs, beside the anchor measured in the same run:
   a plain ``SELECT count(*) FROM conversations`` on the same connection.

Target: every page's data under 500 ms at p95 (rendering comes on top). Ends with one
``RESULT key=value ...`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.analytics.model import ConversationFilter, Window  # noqa: E402
from bot.store import codec  # noqa: E402
from bot.store.base import ConversationRow  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

TARGET_MS = 500.0
DAYS = 30
NOW = 1_764_633_600.0  # 2025-12-02 00:00 UTC: the month before it is generated
STATES = {
    "greeting.menu": ["search.ask", "repo.pick", "answer.ask", "greeting.menu"],
    "repo.pick": ["search.ask", "greeting.menu"],
    "search.ask": ["search.results", "search.results", "search.none"],
    "search.results": ["search.open", "search.results", "answer.ask", "search.ask"],
    "search.none": ["search.ask", "greeting.menu"],
    "search.open": ["answer.explain", "search.results", "search.open"],
    "answer.ask": ["answer.show", "answer.show", "greeting.menu"],
    "answer.show": ["answer.ask", "search.ask", "greeting.menu"],
    "answer.explain": ["search.results", "answer.ask"],
}
ACTIONS = {"search.results": ("search",), "search.open": ("open_result",),
           "answer.show": ("answer_question",), "answer.explain": ("explain_result",),
           "repo.pick": ("select_repo",)}  # fmt: skip
REPOS = ("jinja2", "flask", "aiohttp", "requests")
CHANNELS = ("whatsapp",) * 7 + ("slack",) * 2 + ("teams",)


def _zipf_picker(rnd: random.Random, n: int, s: float = 1.1) -> Callable[[], int]:
    weights = list(itertools.accumulate(1 / (k**s) for k in range(1, n + 1)))
    return lambda: bisect.bisect(weights, rnd.random() * weights[-1])


def generate(count: int, seed: int = 16) -> Iterator[ConversationRow]:
    """Rows in time order: conversations started at a diurnal rate, each turn a few seconds
    to minutes after the last."""
    rnd = random.Random(seed)
    user = _zipf_picker(rnd, 20_000, 0.9)
    query = _zipf_picker(rnd, 5_000)
    words = ["Template", "render", "Environment", "route", "session", "cookie", "parse", "Loader"]
    made, start = 0, NOW - DAYS * 86400
    mean_gap = DAYS * 86400 / (count / 6.5)  # about 6.5 rows a conversation
    at = start
    while made < count:
        at += rnd.expovariate(1 / mean_gap) * (1.6 if (at % 86400) / 3600 < 7 else 0.8)
        if at >= NOW:
            at = start + rnd.random() * DAYS * 86400
        sender = f"+1555{user():07d}"
        channel = rnd.choice(CHANNELS)
        if rnd.random() < 0.02:
            yield ConversationRow(sender, "again", "slow down", at, "rate_limited", channel=channel)
            made += 1
            continue
        started, state, t = at, "", at
        for _ in range(min(1 + int(rnd.expovariate(1 / 5.5)), 15)):
            t += rnd.uniform(3, 240)
            roll = rnd.random()
            before = state
            outcome, kind, meta = "ok", "text", {}
            after = rnd.choice(STATES[before]) if before else "greeting.menu"
            if before and roll < 0.07:
                outcome, after = "not_understood", before
            elif before and roll < 0.10:
                outcome, after = "clarify", before
            elif before and roll < 0.105:
                outcome, kind, after = "error", "error", before
            if after in ("search.results", "search.none") and outcome == "ok":
                q = query()
                text = f"{words[q % len(words)]} {q}" if q > 40 else words[q % len(words)]
                meta["search"] = {"query": text, "repo": REPOS[q % 4],
                                  "results": 0 if after == "search.none" else 1 + q % 20,
                                  "ms": round(rnd.lognormvariate(3, 0.8), 1)}  # fmt: skip
            if after in ("answer.show", "answer.explain") and outcome == "ok":
                meta["llm"] = {"cost_usd": round(rnd.uniform(0.0005, 0.02), 6)}
            yield ConversationRow(
                sender,
                f"message {rnd.randrange(3000)}" if outcome == "not_understood" else "text",
                "reply",
                t,
                kind,
                state=after,
                meta=meta,
                channel=channel,
                state_before=before,
                latency_ms=round(rnd.lognormvariate(5.5 if meta else 3.5, 0.7), 1),
                outcome=outcome,
                started=started,
                actions=ACTIONS.get(after, ()) if outcome == "ok" else (),
            )
            state = after
            made += 1
            if made >= count:
                return
        if rnd.random() < 0.1:  # the state's timeout fires later
            yield ConversationRow(sender, "", "still there?", t + 600, "timeout", state=state,
                                  channel=channel, state_before=state, outcome="timeout",
                                  started=started)  # fmt: skip
            made += 1


INSERT = f"INSERT INTO conversations ({codec.ROW_COLUMNS}) VALUES ({', '.join('?' * 16)})"


def fill(path: Path, count: int) -> float:
    """Insert ``count`` generated rows through the triggers; rows per second."""
    conn = sqlite3.connect(path, isolation_level=None)
    insert = INSERT
    began = time.perf_counter()
    batch: list[codec.RowValues] = []
    for row in generate(count):
        batch.append(codec.row_values(row))
        if len(batch) == 20_000:
            conn.execute("BEGIN")
            conn.executemany(insert, batch)
            conn.execute("COMMIT")
            batch.clear()
    if batch:
        conn.execute("BEGIN")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.execute("ANALYZE")
    conn.close()
    return count / elapsed


async def write_cost(folder: Path, count: int = 20_000) -> tuple[float, float]:
    """Rows per second inserted into a migrated database with the totals' triggers, and into
    the same schema without them: what keeping the totals costs each turn's write."""
    rows = [codec.row_values(r) for r in generate(count, seed=3)]
    rates = []
    for name, keep in (("with", True), ("without", False)):
        path = folder / f"write-{name}.db"
        async with SqliteStore(path):
            pass
        conn = sqlite3.connect(path, isolation_level=None)
        if not keep:
            for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
                conn.execute(f"DROP TRIGGER {trigger}")
        began = time.perf_counter()
        for start in range(0, count, 100):  # batches, as the group committer writes them
            conn.execute("BEGIN")
            conn.executemany(INSERT, rows[start : start + 100])
            conn.execute("COMMIT")
        rates.append(count / (time.perf_counter() - began))
        conn.close()
    return rates[0], rates[1]


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    await call()  # warm
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, math.ceil(0.95 * len(times)) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "dashboard.db"
        store = SqliteStore(path)
        await store.open()
        have = (await store._select("SELECT count(*) FROM conversations", []))[0][0]
        if have != args.rows:
            await store.close()
            if have:
                sys.exit(f"{path} holds {have} rows, not {args.rows}: give another --db")
            print(f"generating {args.rows:,} rows ...", flush=True)
            print(f"inserted through the triggers: {fill(path, args.rows):,.0f} rows/s")
            store = SqliteStore(path)
            await store.open()
        try:
            anchor, worst, worst_name = await run(store, args.runs)
        finally:
            await store.close()
        with_totals, without = await write_cost(Path(tmp))
    print(
        f"\nwrite cost: {with_totals:,.0f} rows/s with the totals' triggers, {without:,.0f} "
        f"without ({without / with_totals:.1f}x)"
    )
    print(
        f"RESULT rows={args.rows} anchor_p95_ms={anchor:.1f} worst_page_p95_ms={worst:.1f} "
        f"worst_page={worst_name} worst_over_anchor={worst / anchor:.1f} "
        f"target_ms={TARGET_MS:.0f} met={'yes' if worst < TARGET_MS else 'no'} "
        f"insert_rows_per_s={with_totals:.0f} insert_without_totals={without:.0f}"
    )


async def run(store: SqliteStore, runs: int) -> tuple[float, float, str]:
    """Every page timed; (anchor p95, worst page p95, its name)."""
    a = store.analytics
    anchor = await timed(runs, lambda: store._select("SELECT count(*) FROM conversations", []))
    first = (await a.conversations(Window.last(DAYS * 86400, NOW))).items[0]
    print(f"\n{'page':<34} {'window':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/anchor':>10}")
    print(f"{'anchor: SELECT count(*)':<34} {'':>6} {anchor[0]:8.1f} {anchor[1]:8.1f} {1:10.1f}")
    pages: dict[str, Callable[[Window], Awaitable[Any]]] = {
        "overview": lambda w: a.overview(w),
        "overview (one channel)": lambda w: a.overview(w, channel="slack"),
        "funnel": lambda w: a.funnel(w),
        "searches": lambda w: a.searches(w),
        "searches (one repo)": lambda w: a.searches(w, repo="flask"),
        "conversations (page 1)": lambda w: a.conversations(w),
        "conversations (filtered, page 3)": lambda w: a.conversations(
            w, ConversationFilter(channel="whatsapp", outcome="not_understood", offset=100)
        ),
        "facets": lambda w: a.facets(w),
    }
    worst, worst_name = 0.0, ""
    for name, page in pages.items():
        for label, days in (("24h", 1), ("7d", 7), ("30d", DAYS)):
            window = Window.last(days * 86400, NOW)
            p50, p95 = await timed(runs, lambda page=page, window=window: page(window))  # type: ignore[misc]
            print(f"{name:<34} {label:>6} {p50:8.1f} {p95:8.1f} {p95 / anchor[1]:10.1f}")
            if p95 > worst:
                worst, worst_name = p95, f"{name.split(' ')[0]}_{label}"
    p50, p95 = await timed(runs, lambda: a.transcript(first.key))
    print(f"{'transcript (' + str(first.turns) + ' turns)':<34} {'':>6} {p50:8.1f} {p95:8.1f} "
          f"{p95 / anchor[1]:10.1f}")  # fmt: skip
    if p95 > worst:
        worst, worst_name = p95, "transcript"
    return anchor[1], worst, worst_name


if __name__ == "__main__":
    asyncio.run(main())
