"""The SQL of the access tables, shared by the SQLite and PostgreSQL stores.

Statements are written with ``?`` placeholders; PostgreSQL's ``$n`` come from ``numbered()``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.store.members import AuditEntry, Member

MEMBER_COLUMNS = "phone_number, group_name, revoked, changed_by, changed_at"
AUDIT_COLUMNS = "at, actor, action, phone_number, group_name, via"

SELECT_MEMBER = f"SELECT {MEMBER_COLUMNS} FROM access_members WHERE phone_number = ?"
SELECT_MEMBERS = f"SELECT {MEMBER_COLUMNS} FROM access_members ORDER BY phone_number"
UPSERT_MEMBER = f"""
INSERT INTO access_members ({MEMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (phone_number) DO UPDATE SET
    group_name = excluded.group_name,
    revoked = excluded.revoked,
    changed_by = excluded.changed_by,
    changed_at = excluded.changed_at
"""
INSERT_AUDIT = f"INSERT INTO access_audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
SELECT_AUDIT = f"SELECT {AUDIT_COLUMNS} FROM access_audit ORDER BY at DESC, id DESC LIMIT ?"
# Claims the refusal when none was sent within the interval: values user, now, now - interval.
CLAIM_REFUSAL = """
INSERT INTO access_refusals (phone_number, refused_at) VALUES (?, ?)
ON CONFLICT (phone_number) DO UPDATE SET refused_at = excluded.refused_at
WHERE access_refusals.refused_at <= ?
"""
PURGE_REFUSALS = "DELETE FROM access_refusals WHERE refused_at < ?"


def numbered(statement: str) -> str:
    """The statement with PostgreSQL's $1, $2... in place of each ``?``."""
    count = iter(range(1, 1000))
    return re.sub(r"\?", lambda _m: f"${next(count)}", statement)


def member_values(member: Member) -> tuple[Any, ...]:
    m = member
    return (m.user_id, m.group, m.revoked, m.changed_by, m.changed_at)


def audit_values(entry: AuditEntry) -> tuple[Any, ...]:
    e = entry
    return (e.at, e.actor, e.action, e.user_id, e.group, e.via)


def load_member(row: Sequence[Any]) -> Member:
    return Member(str(row[0]), str(row[1]), bool(row[2]), str(row[3]), float(row[4]))


def load_audit(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(
        float(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5])
    )
