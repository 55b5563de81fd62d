"""Every store backend behind one fixture: the contract suite runs against each of them."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.store.base import ConversationStore
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

StoreFactory = Callable[[], Awaitable[ConversationStore]]


async def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_URL, timeout=2)
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} is unreachable ({exc}); run `make services`"
    await conn.close()
    return None


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards; skips when unreachable."""
    reason = await postgres_reachable()
    if reason:
        pytest.skip(reason)
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
        await conn.close()


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Opens stores on one database; each call is a new instance (a restart). Closes them all."""
    opened: list[ConversationStore] = []
    now = [1_700_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    memory = MemoryStore(clock=clock)
    schema = ""
    cleanup = contextlib.AsyncExitStack()
    if request.param == "postgres":
        schema = await cleanup.enter_async_context(pg_schema())

    async def make() -> ConversationStore:
        store: ConversationStore
        if request.param == "memory":
            store = memory
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / "data" / "bot.db", clock=clock)
        else:
            from bot.store.postgres import PostgresStore

            store = PostgresStore(PG_URL, schema=schema, pool_size=4, clock=clock)
        await store.open()
        opened.append(store)
        return store

    make.backend = request.param  # type: ignore[attr-defined]
    make.now = now  # type: ignore[attr-defined]  # move the stores' clock: make.now[0] += 60
    yield make
    for store in opened:
        await store.close()
    await cleanup.aclose()


@pytest.fixture
async def store(make_store: StoreFactory) -> ConversationStore:
    return await make_store()
