"""What one message costs the database, counted on the real SQLite and PostgreSQL stores: its
turn reads the session (and whether the message was answered already) once, and saves the
session, the row and the MessageSid's claim in one transaction. Two round trips."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.base import ConversationStore, MessageType
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore
from tests.engine.conftest import project_settings
from tests.store.conftest import PG_URL, pg_schema

USER = "+15550001234"


class _CountingPool:
    """An asyncpg pool that counts the statements sent through it (each is a round trip)."""

    def __init__(self, pool: Any, count: list[str]) -> None:
        self._pool, self._count = pool, count

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._pool, name)
        if name in ("fetch", "fetchval", "fetchrow", "execute", "executemany", "acquire"):

            def counted(*args: Any, **kwargs: Any) -> Any:
                self._count.append(name)
                return found(*args, **kwargs)

            return counted
        return found


def _counting(work: Callable[..., Awaitable[Any]], count: list[str], name: str) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        count.append(name)
        return await work(*args, **kwargs)

    return counted


@contextlib.asynccontextmanager
async def _store(
    backend: str, tmp_path: Path
) -> AsyncIterator[tuple[ConversationStore, list[str]]]:
    """The store, and the list its round trips are appended to."""
    count: list[str] = []
    if backend == "sqlite":
        store = SqliteStore(tmp_path / "bot.db")
        await store.open()
        # A hop to the writer (one transaction) or to the reader thread, or a point read on the
        # event loop's own read-only connection.
        store._write = _counting(store._write, count, "write")  # type: ignore[method-assign]
        store._read = _counting(store._read, count, "read")  # type: ignore[method-assign]
        inline = store._inline
        assert isinstance(inline, sqlite3.Connection)
        inline.set_trace_callback(lambda _sql: count.append("inline read"))
        yield store, count
        await store.close()
        return
    async with pg_schema() as schema:
        pg = PostgresStore(PG_URL, schema=schema, pool_size=2)
        await pg.open()
        pg._pool = _CountingPool(pg._pool, count)  # type: ignore[assignment]
        yield pg, count
        await pg.close()  # closed by the services already: a second close does nothing


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_message_costs_two_round_trips(backend: str, tmp_path: Path) -> None:
    settings = project_settings()
    async with _store(backend, tmp_path) as (store, count):
        async with await Services.create(settings, store=store, watch_flows=False) as services:
            engine = services.engine
            viewer = await services.access.viewer(USER)  # asked by the webhook, before the turn
            for n, text in enumerate(("hi", "menu", "help")):
                count.clear()
                inbound = Inbound(USER, text, message_sid=f"SM{n}", channel="whatsapp")
                result = await engine.handle(dataclasses.replace(inbound, viewer=viewer))
                assert result.replies and not result.duplicate
                assert len(count) == 2, (text, count)  # the session read, the save
            count.clear()
            retry = Inbound(USER, "help", message_sid="SM2", channel="whatsapp", viewer=viewer)
            assert (await engine.handle(retry)).duplicate  # answered already: nobody answers
            assert len(count) == 1, count  # the read that says so
            count.clear()
            too_fast = Inbound(USER, "more", message_sid="SM3", channel="whatsapp")
            assert await engine.record(too_fast, "slow down", MessageType.RATE_LIMITED)
            assert len(count) == 1, count  # its row, and its MessageSid handled with it
            rows = await store.history(USER)
        assert [r.message_sid for r in rows] == ["SM0", "SM1", "SM2", "SM3"]
