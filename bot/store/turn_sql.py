"""The SQL of sessions, message claims and delivery status, shared by the SQLite and PostgreSQL
stores. Written with ``?`` placeholders (PostgreSQL's ``$n`` come from ``numbered()``) and
``true``/``false``, which both databases read.
"""

from __future__ import annotations

from bot.store.access_sql import numbered

__all__ = ["numbered"]

SESSION_COLUMNS = "phone_number, session_data, last_activity, user_context, timeout_at"
ON_SESSION_CONFLICT = """
ON CONFLICT (phone_number) DO UPDATE SET
    session_data = excluded.session_data,
    last_activity = excluded.last_activity,
    user_context = excluded.user_context,
    timeout_at = excluded.timeout_at
"""
UPSERT_SESSION = (
    f"INSERT INTO user_sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?) {ON_SESSION_CONFLICT}"
)

# One row whether or not the user has a session: theirs, and whether the message was handled.
LOAD_TURN = """
SELECT s.session_data, s.last_activity, s.user_context,
    (SELECT handled FROM inbound_messages WHERE message_sid = ?)
FROM (SELECT 1) AS one LEFT JOIN user_sessions s ON s.phone_number = ?
"""

# Claimed ahead of a turn (values sid, user, now, stale before): new, or never handled and stale.
CLAIM = """
INSERT INTO inbound_messages (message_sid, phone_number, received_at, handled)
VALUES (?, ?, ?, false)
ON CONFLICT (message_sid) DO UPDATE SET
    received_at = excluded.received_at, phone_number = excluded.phone_number
WHERE NOT inbound_messages.handled AND inbound_messages.received_at < ?
"""
# Handled with the turn's row (values sid, user, now); no change: a retry handled it already.
CLAIM_HANDLED = """
INSERT INTO inbound_messages (message_sid, phone_number, received_at, handled)
VALUES (?, ?, ?, true)
ON CONFLICT (message_sid) DO UPDATE SET handled = true WHERE NOT inbound_messages.handled
"""
# Kept until its reply is sent (values sid, user, now, payload); its claim starts now. Not once
# handled, nor when kept already: a retry's delivery never takes over the first one's.
KEEP_PENDING = """
INSERT INTO inbound_messages (message_sid, phone_number, received_at, handled, pending)
VALUES (?, ?, ?, false, ?)
ON CONFLICT (message_sid) DO UPDATE SET
    pending = excluded.pending, received_at = excluded.received_at
WHERE NOT inbound_messages.handled AND inbound_messages.pending IS NULL
"""

# Twilio's delivery statuses only move forward (values sid, status, rank, at, error code).
UPSERT_STATUS = """
INSERT INTO outbound_status (message_sid, status, status_rank, updated_at, error_code)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (message_sid) DO UPDATE SET
    status = excluded.status,
    status_rank = excluded.status_rank,
    updated_at = excluded.updated_at,
    error_code = excluded.error_code
WHERE excluded.status_rank > outbound_status.status_rank
"""
