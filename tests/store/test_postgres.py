"""What is particular to the PostgreSQL store: schema, versions, concurrent starts, outages."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.config import settings_from_mapping
from bot.errors import SchemaTooNewError, StoreError
from bot.store.base import Session
from bot.store.factory import open_store
from bot.store.migrations import POSTGRES
from bot.store.postgres import PostgresStore
from tests.store.conftest import PG_URL, pg_schema

pytestmark = pytest.mark.postgres


async def test_two_instances_starting_together_migrate_once() -> None:
    async with pg_schema() as schema:
        stores = [PostgresStore(PG_URL, schema=schema, pool_size=2) for _ in range(3)]
        await asyncio.gather(*(s.open() for s in stores))
        try:
            assert [await s.schema_version() for s in stores] == [len(POSTGRES)] * 3
            conn = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
            indexes = {r[0] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
            assert {"idx_phone_timestamp", "idx_last_activity"} <= indexes
            assert await conn.fetchval("SELECT COUNT(*) FROM schema_migrations") == len(POSTGRES)
            await conn.close()
        finally:
            for s in stores:
                await s.close()


async def test_a_database_from_a_newer_release_is_refused() -> None:
    async with pg_schema() as schema:
        async with PostgresStore(PG_URL, schema=schema) as store:
            await store.save_turn(Session(user_id="+1", state="greeting.menu"), [])
        conn = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
        await conn.execute("INSERT INTO schema_migrations VALUES (42, 'future', 0)")
        await conn.close()
        with pytest.raises(SchemaTooNewError, match="schema version 42"):
            await PostgresStore(PG_URL, schema=schema).open()


async def test_an_unreachable_server_is_a_clear_store_error() -> None:
    store = PostgresStore("postgresql://postgres:secret@127.0.0.1:1/test", connect_timeout=1)
    with pytest.raises(StoreError, match="cannot connect") as caught:
        await store.open()
    assert "secret" not in str(caught.value)


async def test_the_settings_reach_the_store() -> None:
    async with pg_schema() as schema:
        settings = settings_from_mapping(
            {
                "storage": {
                    "database_url": f"{PG_URL}?search_path={schema}",
                    "reclaim_after_seconds": 0.05,
                }
            }
        )
        async with open_store(settings) as store:
            assert isinstance(store, PostgresStore)
            assert await store.claim_message("SM1", "+1")
            await asyncio.sleep(0.1)
            assert await store.claim_message("SM1", "+1")  # unhandled: claimable again


async def test_a_malformed_url_is_a_clear_store_error() -> None:
    with pytest.raises(StoreError, match="not a usable PostgreSQL URL"):
        await PostgresStore("postgresql://bot@db:notaport/bot").open()
