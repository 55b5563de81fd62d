"""The SQL of the SQLite store, as plain functions run on the connection's own thread."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from bot.store import analytics_schema, codec, migrations
from bot.store.base import ConversationRow, PendingMessage, Session
from bot.store.sqlite_open import Opener

_UPSERT_SESSION = """
INSERT INTO user_sessions (phone_number, session_data, last_activity, user_context, timeout_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (phone_number) DO UPDATE SET
    session_data = excluded.session_data,
    last_activity = excluded.last_activity,
    user_context = excluded.user_context,
    timeout_at = excluded.timeout_at
"""
_INSERT_ROW = (
    f"INSERT INTO conversations ({codec.ROW_COLUMNS}) "
    f"VALUES ({', '.join('?' * len(codec.ROW_COLUMNS.split(',')))})"
)
_UPSERT_STATUS = """
INSERT INTO outbound_status (message_sid, status, status_rank, updated_at, error_code)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (message_sid) DO UPDATE SET
    status = excluded.status,
    status_rank = excluded.status_rank,
    updated_at = excluded.updated_at,
    error_code = excluded.error_code
WHERE excluded.status_rank > outbound_status.status_rank
"""


def prepare(conn: sqlite3.Connection, where: str, busy_ms: int, auto_migrate: bool) -> None:
    """Writer connection: WAL, then bring the schema up to date (refusing a newer one)."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    if where != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL loses no committed turn on a process crash, only on power loss.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    if auto_migrate:
        migrate(conn, where)
    else:
        migrations.pending(migrations.SQLITE, schema_version(conn), where)
    if schema_version(conn) == migrations.latest_version(migrations.SQLITE):
        warm(conn)


def warm(conn: sqlite3.Connection) -> None:
    """Compile the row insert with its triggers (analytics_schema.py) now: 5-20 ms that would
    otherwise land in the first turn after a start. The statement stays in the connection's
    cache; the row itself is rolled back."""
    conn.execute("SAVEPOINT warm")
    try:
        conn.execute(_INSERT_ROW, _WARM_ROW)
    finally:
        conn.execute("ROLLBACK TO warm")
        conn.execute("RELEASE warm")


_WARM_ROW = codec.row_values(ConversationRow("", "", "", 0.0, started=0.0, latency_ms=0.0))


def prepare_reader(conn: sqlite3.Connection, busy_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    conn.execute("PRAGMA query_only = ON")


def inline_reader(opener: Opener) -> sqlite3.Connection:
    """A read-only connection used on the event loop's own thread, for point lookups; it gives
    up at once when the database is busy instead of blocking the loop."""
    conn = opener.connect(read_only=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 0")
    conn.execute("PRAGMA query_only = ON")
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    return int(
        conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
    )


def migrate(conn: sqlite3.Connection, where: str) -> list[int]:
    """Apply the pending migrations in one transaction; the versions applied."""
    conn.execute("BEGIN IMMEDIATE")  # one process migrates at a time
    try:
        conn.execute(migrations.CREATE_VERSION_TABLE)
        todo = migrations.pending(migrations.SQLITE, schema_version(conn), where)
        for m in todo:
            for statement in m.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (m.version, m.name, time.time()),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [m.version for m in todo]


def apply_batch(conn: sqlite3.Connection, works: Sequence[Any]) -> list[tuple[bool, Any]]:
    """Run each unit of work in its own savepoint of one transaction, then commit once."""
    results: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    if len(works) == 1:  # alone in its batch: the transaction itself is the savepoint
        try:
            results.append((True, works[0](conn)))
        except Exception as exc:
            conn.execute("ROLLBACK")
            return [(False, exc)]
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return results
    try:
        for work in works:
            conn.execute("SAVEPOINT turn")
            try:
                results.append((True, work(conn)))
            except Exception as exc:
                conn.execute("ROLLBACK TO turn")
                results.append((False, exc))
            conn.execute("RELEASE turn")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results


def save_turn(
    conn: sqlite3.Connection, session: codec.SessionValues, rows: list[codec.RowValues]
) -> None:
    conn.execute(_UPSERT_SESSION, session)
    insert_rows(conn, rows)


def insert_rows(conn: sqlite3.Connection, rows: list[codec.RowValues]) -> None:
    if len(rows) == 1:
        conn.execute(_INSERT_ROW, rows[0])
    elif rows:
        conn.executemany(_INSERT_ROW, rows)
    for row in rows:
        if row[5] is not None:  # its MessageSid: handled now
            conn.execute("UPDATE inbound_messages SET handled = 1 WHERE message_sid = ?", (row[5],))


_CLAIM = """
INSERT INTO inbound_messages (message_sid, phone_number, received_at, handled) VALUES (?, ?, ?, 0)
ON CONFLICT (message_sid) DO UPDATE SET
    received_at = excluded.received_at, phone_number = excluded.phone_number
WHERE inbound_messages.handled = 0 AND inbound_messages.received_at < ?
"""


def claim(conn: sqlite3.Connection, values: tuple[str, str, float, float]) -> bool:
    """values: sid, user, now, and the claim time before which an unhandled claim is stale."""
    return conn.execute(_CLAIM, values).rowcount == 1


def renew_claim(conn: sqlite3.Connection, message_sid: str, now: float) -> bool:
    # received_at is the time of the latest claim (a reclaim moves it too): renewing it is the
    # owner's lease, held through the turn and, for a kept message, until its reply is sent.
    return (
        conn.execute(
            "UPDATE inbound_messages SET received_at = ? "
            "WHERE message_sid = ? AND (handled = 0 OR pending IS NOT NULL)",
            (now, message_sid),
        ).rowcount
        == 1
    )


def keep_pending(conn: sqlite3.Connection, message_sid: str, payload: str) -> None:
    conn.execute(
        "UPDATE inbound_messages SET pending = ? WHERE message_sid = ? AND handled = 0",
        (payload, message_sid),
    )


def reply_sent(conn: sqlite3.Connection, message_sid: str) -> None:
    conn.execute("UPDATE inbound_messages SET pending = NULL WHERE message_sid = ?", (message_sid,))


def take_over(conn: sqlite3.Connection, message_sid: str, now: float, stale: float) -> bool:
    return (
        conn.execute(
            "UPDATE inbound_messages SET received_at = ? "
            "WHERE message_sid = ? AND pending IS NOT NULL AND received_at < ?",
            (now, message_sid, stale),
        ).rowcount
        == 1
    )


# The latest saved row of a handled message holds the reply that still has to go out.
_PENDING = """
SELECT i.message_sid, i.phone_number, i.pending, i.handled,
    (SELECT c.response FROM conversations c WHERE c.message_sid = i.message_sid
     ORDER BY c.id DESC LIMIT 1)
FROM inbound_messages i
WHERE i.pending IS NOT NULL AND i.received_at < ?
ORDER BY i.received_at LIMIT ?
"""


def pending_messages(
    conn: sqlite3.Connection, stale_before: float, limit: int
) -> list[PendingMessage]:
    found = conn.execute(_PENDING, (stale_before, limit)).fetchall()
    return [
        PendingMessage(str(r[0]), str(r[1]), json.loads(r[2]), str(r[4] or "") if r[3] else None)
        for r in found
    ]


def record_status(conn: sqlite3.Connection, values: tuple[str, str, int, float, Any]) -> bool:
    return conn.execute(_UPSERT_STATUS, values).rowcount == 1


def purge(conn: sqlite3.Connection, cutoff: float) -> int:
    """Conversation rows older than ``cutoff`` go, and so do dedupe and status records."""
    gone = conn.execute("DELETE FROM conversations WHERE timestamp < ?", (cutoff,)).rowcount
    conn.execute("DELETE FROM inbound_messages WHERE received_at < ?", (cutoff,))
    conn.execute("DELETE FROM outbound_status WHERE updated_at < ?", (cutoff,))
    conn.execute("DELETE FROM access_refusals WHERE refused_at < ?", (cutoff,))
    for statement, args in analytics_schema.purge_statements(cutoff):
        conn.execute(statement, args)
    return int(gone)


def load_session(conn: sqlite3.Connection, user_id: str) -> Session | None:
    found = conn.execute(
        "SELECT session_data, last_activity, user_context FROM user_sessions "
        "WHERE phone_number = ?",
        (user_id,),
    ).fetchone()
    return codec.load_session(user_id, *found) if found else None


def history(conn: sqlite3.Connection, user_id: str, limit: int) -> list[ConversationRow]:
    found = conn.execute(
        f"SELECT {codec.ROW_COLUMNS} FROM conversations WHERE phone_number = ? "
        "ORDER BY timestamp DESC, id DESC LIMIT ?",
        (user_id, limit),
    ).fetchall()
    return [codec.load_row(r) for r in reversed(found)]


def message_status(conn: sqlite3.Connection, message_sid: str) -> str | None:
    found = conn.execute(
        "SELECT status FROM outbound_status WHERE message_sid = ?", (message_sid,)
    ).fetchone()
    return str(found[0]) if found else None


def due_sessions(conn: sqlite3.Connection, now: float, limit: int) -> list[str]:
    found = conn.execute(
        "SELECT phone_number FROM user_sessions WHERE timeout_at IS NOT NULL AND timeout_at <= ? "
        "ORDER BY timeout_at LIMIT ?",
        (now, limit),
    ).fetchall()
    return [str(r[0]) for r in found]


def active_sessions(conn: sqlite3.Connection, since: float) -> int:
    found = conn.execute(
        "SELECT COUNT(*) FROM user_sessions WHERE last_activity >= ?", (since,)
    ).fetchone()
    return int(found[0])
