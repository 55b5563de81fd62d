"""What a message costs the store: its turn's database work alone, on SQLite and PostgreSQL.

A message's turn reads the session and whether its MessageSid was handled (load_turn), then
saves the session, its row and the MessageSid's claim in one transaction (save_turn): two round
trips. The anchor, measured in the same run on the same store: the three round trips a message
cost before the claim moved into the save (claim_message, load_session, save_turn). Workers
interleave distinct users, as turns of different senders do.

    .venv/bin/python bench/store_turn.py [--messages 4000] [--workers 8] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store.base import ConversationRow, ConversationStore, Session
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore

Message = Callable[[str, str], Awaitable[None]]


async def two_trips(store: ConversationStore, user: str, sid: str) -> None:
    found, handled = await store.load_turn(user, sid)
    assert not handled
    session = found or Session(user)
    session.slots["n"] = int(session.slots.get("n", 0)) + 1
    await store.save_turn(
        session, [ConversationRow(user, "hi", "ok", time.time(), message_sid=sid)]
    )


async def three_trips(store: ConversationStore, user: str, sid: str) -> None:
    assert await store.claim_message(sid, user)
    session = await store.load_session(user) or Session(user)
    session.slots["n"] = int(session.slots.get("n", 0)) + 1
    await store.save_turn(
        session, [ConversationRow(user, "hi", "ok", time.time(), message_sid=sid)]
    )


async def rate(
    store: ConversationStore, turn: Callable[..., Awaitable[None]], n: int, workers: int
) -> float:
    tag = uuid.uuid4().hex[:8]

    async def worker(w: int) -> None:
        for i in range(w, n, workers):
            await turn(store, f"+1555{i % 500:07d}", f"SM{tag}{i}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return n / (time.perf_counter() - started)


async def measure(store: ConversationStore, n: int, workers: int) -> tuple[float, float]:
    async with store:
        await rate(store, two_trips, 200, workers)  # warm-up
        anchors, ours = [], []
        for _ in range(3):  # alternated, so a busy moment of the machine hits both
            anchors.append(await rate(store, three_trips, n, workers))
            ours.append(await rate(store, two_trips, n, workers))
        return sorted(ours)[1], sorted(anchors)[1]


async def pg_store(url: str) -> tuple[PostgresStore, Callable[[], Awaitable[None]]]:
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url)
    await conn.execute(f"CREATE SCHEMA {schema}")

    async def drop() -> None:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()

    return PostgresStore(url, schema=schema), drop


async def main_async(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        found["sqlite"] = await measure(
            SqliteStore(Path(tmp) / "b.db"), args.messages, args.workers
        )
    if args.postgres:
        store, drop = await pg_store(args.postgres)
        try:
            found["postgres"] = await measure(store, args.messages, args.workers)
        finally:
            await drop()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    found = asyncio.run(main_async(args))
    print(f"{'':12}{'msgs/s':>10}{'anchor: 3 trips':>18}{'ratio':>8}")
    for name, (ours, anchor) in found.items():
        print(f"{name:12}{ours:>10.0f}{anchor:>18.0f}{ours / anchor:>8.2f}")
    fields = " ".join(
        f"{name}_per_s={ours:.0f} {name}_anchor_per_s={anchor:.0f} {name}_ratio={ours / anchor:.2f}"
        for name, (ours, anchor) in found.items()
    )
    print(f"RESULT {fields}")


if __name__ == "__main__":
    main()
