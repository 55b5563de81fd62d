"""Schema versions for the SQL stores.

Pending migrations run in order, all in one transaction (a failure leaves the database at its old
version), and each is recorded in `schema_migrations`. A database whose version is higher than the
last one listed here was written by a newer release and is refused (SchemaTooNewError).

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import SchemaTooNewError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


SQLITE: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations, sessions, dedupe and delivery status",
        (
            """CREATE TABLE conversations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                phone_number TEXT NOT NULL,
                message TEXT NOT NULL,
                response TEXT NOT NULL,
                timestamp REAL NOT NULL,
                message_type TEXT NOT NULL DEFAULT 'text',
                message_sid TEXT,
                state TEXT NOT NULL DEFAULT '',
                intent TEXT,
                score REAL,
                meta TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX idx_phone_timestamp ON conversations (phone_number, timestamp)",
            "CREATE INDEX idx_conversations_timestamp ON conversations (timestamp)",
            """CREATE TABLE user_sessions (
                phone_number TEXT PRIMARY KEY,
                session_data TEXT NOT NULL,
                last_activity REAL NOT NULL,
                user_context TEXT NOT NULL DEFAULT '{}',
                timeout_at REAL
            )""",
            "CREATE INDEX idx_last_activity ON user_sessions (last_activity)",
            "CREATE INDEX idx_timeout_at ON user_sessions (timeout_at)",
            """CREATE TABLE inbound_messages (
                message_sid TEXT PRIMARY KEY,
                phone_number TEXT NOT NULL,
                received_at REAL NOT NULL
            )""",
            "CREATE INDEX idx_inbound_received ON inbound_messages (received_at)",
            """CREATE TABLE outbound_status (
                message_sid TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                status_rank INTEGER NOT NULL,
                updated_at REAL NOT NULL,
                error_code TEXT
            )""",
            "CREATE INDEX idx_outbound_updated ON outbound_status (updated_at)",
        ),
    ),
    Migration(
        2,
        "a claimed MessageSid is handled once a row carrying it is saved",
        (
            "ALTER TABLE inbound_messages ADD COLUMN handled INTEGER NOT NULL DEFAULT 0",
            "UPDATE inbound_messages SET handled = 1",  # claims made before: assume handled
        ),
    ),
    Migration(
        3,
        "an acknowledged message is kept until its reply is sent, to be finished after a crash",
        (
            "ALTER TABLE inbound_messages ADD COLUMN pending TEXT",
            "CREATE INDEX idx_inbound_pending ON inbound_messages (received_at) "
            "WHERE pending IS NOT NULL",
        ),
    ),
)

POSTGRES: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations, sessions, dedupe and delivery status",
        (
            """CREATE TABLE conversations (
                id BIGSERIAL PRIMARY KEY,
                phone_number TEXT NOT NULL,
                message TEXT NOT NULL,
                response TEXT NOT NULL,
                timestamp DOUBLE PRECISION NOT NULL,
                message_type TEXT NOT NULL DEFAULT 'text',
                message_sid TEXT,
                state TEXT NOT NULL DEFAULT '',
                intent TEXT,
                score DOUBLE PRECISION,
                meta JSONB NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX idx_phone_timestamp ON conversations (phone_number, timestamp)",
            "CREATE INDEX idx_conversations_timestamp ON conversations (timestamp)",
            """CREATE TABLE user_sessions (
                phone_number TEXT PRIMARY KEY,
                session_data JSONB NOT NULL,
                last_activity DOUBLE PRECISION NOT NULL,
                user_context JSONB NOT NULL DEFAULT '{}',
                timeout_at DOUBLE PRECISION
            )""",
            "CREATE INDEX idx_last_activity ON user_sessions (last_activity)",
            "CREATE INDEX idx_timeout_at ON user_sessions (timeout_at)",
            """CREATE TABLE inbound_messages (
                message_sid TEXT PRIMARY KEY,
                phone_number TEXT NOT NULL,
                received_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX idx_inbound_received ON inbound_messages (received_at)",
            """CREATE TABLE outbound_status (
                message_sid TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                status_rank INTEGER NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                error_code TEXT
            )""",
            "CREATE INDEX idx_outbound_updated ON outbound_status (updated_at)",
        ),
    ),
    Migration(
        2,
        "a claimed MessageSid is handled once a row carrying it is saved",
        (
            "ALTER TABLE inbound_messages ADD COLUMN handled BOOLEAN NOT NULL DEFAULT false",
            "UPDATE inbound_messages SET handled = true",  # claims made before: assume handled
        ),
    ),
    Migration(
        3,
        "an acknowledged message is kept until its reply is sent, to be finished after a crash",
        (
            "ALTER TABLE inbound_messages ADD COLUMN pending JSONB",
            "CREATE INDEX idx_inbound_pending ON inbound_messages (received_at) "
            "WHERE pending IS NOT NULL",
        ),
    ),
)

CREATE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


def pending(migrations: tuple[Migration, ...], current: int, where: str) -> list[Migration]:
    """The migrations still to apply to a database at ``current``; refuses a newer database."""
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNewError(
            f"{where} is at schema version {current}, but this release knows versions up to "
            f"{latest}: it was migrated by a newer release. Run that release (or newer), or "
            "restore a backup taken before the upgrade."
        )
    return [m for m in migrations if m.version > current]


def latest_version(migrations: tuple[Migration, ...]) -> int:
    return migrations[-1].version if migrations else 0
