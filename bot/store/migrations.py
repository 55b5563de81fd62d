"""Schema versions for the SQL stores.

Pending migrations run in order, all in one transaction (a failure leaves the database at its old
version), and each is recorded in `schema_migrations`. A database whose version is higher than the
last one listed here was written by a newer release and is refused (SchemaTooNewError).

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import SchemaTooNewError
from bot.store import analytics_schema


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


# Senders used to be keyed as Twilio gives them ("whatsapp:+15551234567"); they are keyed
# "+15551234567" now (bot/access/senders.py). Twilio's From is always that prefix and E.164, so
# dropping the prefix is the normalisation. Where both keys hold a session, the more recent one
# is kept. SQLite and PostgreSQL both have substr(); LIKE with a literal prefix is the same in both.
_OLD = "phone_number LIKE 'whatsapp:+%'"
SENDER_KEYS: tuple[str, ...] = (
    f"""DELETE FROM user_sessions WHERE {_OLD} AND EXISTS (
        SELECT 1 FROM user_sessions AS newer
        WHERE newer.phone_number = substr(user_sessions.phone_number, 10)
        AND newer.last_activity >= user_sessions.last_activity)""",
    f"""DELETE FROM user_sessions WHERE phone_number IN (
        SELECT substr(phone_number, 10) FROM user_sessions WHERE {_OLD})""",
    f"UPDATE user_sessions SET phone_number = substr(phone_number, 10) WHERE {_OLD}",
    f"UPDATE conversations SET phone_number = substr(phone_number, 10) WHERE {_OLD}",
    f"UPDATE inbound_messages SET phone_number = substr(phone_number, 10) WHERE {_OLD}",
)

_ANALYTICS = "the dashboard: channel, state before, latency, outcome of each turn; running totals"

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
        "access: members named by admins, their audit, refusals; sender keys without whatsapp:",
        (
            """CREATE TABLE access_members (
                phone_number TEXT PRIMARY KEY,
                group_name TEXT NOT NULL DEFAULT '',
                revoked INTEGER NOT NULL DEFAULT 0,
                changed_by TEXT NOT NULL,
                changed_at REAL NOT NULL
            )""",
            """CREATE TABLE access_audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at REAL NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                phone_number TEXT NOT NULL,
                group_name TEXT NOT NULL DEFAULT '',
                via TEXT NOT NULL
            )""",
            "CREATE INDEX idx_access_audit_at ON access_audit (at)",
            """CREATE TABLE access_refusals (
                phone_number TEXT PRIMARY KEY,
                refused_at REAL NOT NULL
            )""",
            *SENDER_KEYS,
        ),
    ),
    Migration(
        4,
        "an acknowledged message is kept until its reply is sent, to be finished after a crash",
        (
            "ALTER TABLE inbound_messages ADD COLUMN pending TEXT",
            "CREATE INDEX idx_inbound_pending ON inbound_messages (received_at) "
            "WHERE pending IS NOT NULL",
        ),
    ),
    Migration(5, _ANALYTICS, analytics_schema.SQLITE),
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
        "access: members named by admins, their audit, refusals; sender keys without whatsapp:",
        (
            """CREATE TABLE access_members (
                phone_number TEXT PRIMARY KEY,
                group_name TEXT NOT NULL DEFAULT '',
                revoked BOOLEAN NOT NULL DEFAULT false,
                changed_by TEXT NOT NULL,
                changed_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE access_audit (
                id BIGSERIAL PRIMARY KEY,
                at DOUBLE PRECISION NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                phone_number TEXT NOT NULL,
                group_name TEXT NOT NULL DEFAULT '',
                via TEXT NOT NULL
            )""",
            "CREATE INDEX idx_access_audit_at ON access_audit (at)",
            """CREATE TABLE access_refusals (
                phone_number TEXT PRIMARY KEY,
                refused_at DOUBLE PRECISION NOT NULL
            )""",
            *SENDER_KEYS,
        ),
    ),
    Migration(
        4,
        "an acknowledged message is kept until its reply is sent, to be finished after a crash",
        (
            "ALTER TABLE inbound_messages ADD COLUMN pending JSONB",
            "CREATE INDEX idx_inbound_pending ON inbound_messages (received_at) "
            "WHERE pending IS NOT NULL",
        ),
    ),
    Migration(5, _ANALYTICS, analytics_schema.POSTGRES),
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
