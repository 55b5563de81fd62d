"""What every store promises about access: members named by admins, the audit of each change,
and one refusal per interval - on memory, SQLite and PostgreSQL alike; and the upgrade that
re-keys senders stored as "whatsapp:+1555..." on both SQL stores."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.store.members import INVITE, REVOKE, AuditEntry, Member, change_of
from bot.store.migrations import POSTGRES, SQLITE, Migration
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore
from tests.store.conftest import PG_URL, StoreFactory, pg_schema

DAY = 86_400.0


def _invite(user: str, group: str = "", at: float = 100.0, by: str = "+1000") -> Member:
    return Member(user, group, revoked=False, changed_by=by, changed_at=at)


class TestAccessContract:
    async def test_a_sender_never_named_is_not_a_member(self, make_store: StoreFactory) -> None:
        store = await make_store()
        assert await store.member("+15551234567") is None
        assert await store.members() == []
        assert await store.audit_log() == []

    async def test_an_invite_and_a_revoke_are_kept_and_audited(
        self, make_store: StoreFactory
    ) -> None:
        store = await make_store()
        invited = _invite("+1555", "backend", at=100.0)
        await store.set_member(invited, change_of(invited, via="chat"))
        revoked = Member("+1555", "", revoked=True, changed_by="cli:ops", changed_at=200.0)
        await store.set_member(revoked, change_of(revoked, via="cli"))
        restarted = await make_store()  # a new instance on the same database sees both
        assert await restarted.member("+1555") == revoked
        assert await restarted.members() == [revoked]
        assert await restarted.audit_log() == [
            AuditEntry(200.0, "cli:ops", REVOKE, "+1555", "", "cli"),
            AuditEntry(100.0, "+1000", INVITE, "+1555", "backend", "chat"),
        ]
        assert await restarted.audit_log(limit=1) == [
            AuditEntry(200.0, "cli:ops", REVOKE, "+1555", "", "cli")
        ]

    async def test_a_refusal_is_claimed_once_per_interval(self, make_store: StoreFactory) -> None:
        first, second = await make_store(), await make_store()  # two instances, one database
        assert await first.claim_refusal("+1999", 1000.0, DAY) is True
        assert await second.claim_refusal("+1999", 1000.0 + 60, DAY) is False
        assert await first.claim_refusal("+1888", 1000.0 + 60, DAY) is True  # someone else
        assert await second.claim_refusal("+1999", 1000.0 + DAY, DAY) is True  # a day later
        assert await first.claim_refusal("+1999", 1000.0 + DAY + 1, DAY) is False

    async def test_concurrent_refusal_claims_let_exactly_one_through(
        self, make_store: StoreFactory
    ) -> None:
        stores = [await make_store() for _ in range(3)]
        claims = [s.claim_refusal("+1777", 5000.0, DAY) for s in stores for _ in range(4)]
        assert sum(await asyncio.gather(*claims)) == 1

    async def test_refusals_go_with_the_retention_purge(self, make_store: StoreFactory) -> None:
        store = await make_store()
        assert await store.claim_refusal("+1999", 1000.0, DAY)
        await store.purge_older_than(1000.0 + 1)
        assert await store.claim_refusal("+1999", 1000.0 + 2, DAY) is True


def _old_rows() -> list[str]:
    """A database of the previous release: senders keyed as Twilio gave them."""
    return [
        "INSERT INTO user_sessions VALUES ('whatsapp:+15550001111', "
        "'{\"state\": \"search.results\"}', 50, '{}', NULL)",
        # This person also used the new key once (an older session): the newer one is kept.
        "INSERT INTO user_sessions VALUES ('+15550001111', '{\"state\": \"greeting.menu\"}', 10,"
        " '{}', NULL)",
        "INSERT INTO user_sessions VALUES ('console:ana', '{\"state\": \"greeting.menu\"}', 5,"
        " '{}', NULL)",
        "INSERT INTO conversations (phone_number, message, response, timestamp) "
        "VALUES ('whatsapp:+15550001111', 'hi', 'hello', 1)",
        "INSERT INTO inbound_messages VALUES ('SM1', 'whatsapp:+15550001111', 1, true)",
    ]


async def _check_rekeyed(store: SqliteStore | PostgresStore) -> None:
    session = await store.load_session("+15550001111")
    assert session is not None and session.state == "search.results"
    assert await store.load_session("whatsapp:+15550001111") is None
    assert await store.load_session("console:ana") is not None  # channel ids are left alone
    assert [r.message for r in await store.history("+15550001111")] == ["hi"]
    assert await store.claim_message("SM1", "+15550001111") is False


def _before(migrations: tuple[Migration, ...]) -> list[str]:
    return [s for m in migrations if m.version < 3 for s in m.statements]


async def test_sqlite_upgrade_rekeys_whatsapp_senders(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at REAL)"
    )
    for statement in _before(SQLITE):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (2, 'second', 0)")
    for statement in _old_rows():
        conn.execute(statement.replace("true)", "1)"))
    conn.close()
    async with SqliteStore(db) as store:
        assert await store.schema_version() >= 3
        await _check_rekeyed(store)


@pytest.mark.postgres
async def test_postgres_upgrade_rekeys_whatsapp_senders() -> None:
    async with pg_schema() as schema:
        conn = await asyncpg.connect(PG_URL, server_settings={"search_path": schema})
        await conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT, applied_at DOUBLE PRECISION)"
        )
        for statement in _before(POSTGRES):
            await conn.execute(statement)
        await conn.execute("INSERT INTO schema_migrations VALUES (2, 'second', 0)")
        for statement in _old_rows():
            await conn.execute(statement)
        await conn.close()
        store = PostgresStore(PG_URL, schema=schema, pool_size=2)
        await store.open()
        try:
            await _check_rekeyed(store)
        finally:
            await store.close()
