"""The conversation store: sessions, conversation history, message dedupe and delivery status.

A small abstract class with primitive async methods; every implementation (memory, SQLite,
PostgreSQL) passes the same contract suite in tests/store/test_contract.py.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.store.members import AuditEntry, Member

if TYPE_CHECKING:
    from bot.analytics.model import Analytics

# Twilio's delivery statuses in the order a message moves through them; a callback that arrives
# late with an earlier status never overwrites a later one.
STATUS_RANK: dict[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
}


SHARED_KEY = "$shared"  # marks a list written once in session_data["shared"]


@dataclass(slots=True)
class Session:
    """One user's conversation state, read and written once per turn."""

    user_id: str
    state: str = ""  # "flow.state"; empty for a user the bot has never seen
    slots: dict[str, Any] = field(default_factory=dict)
    back: list[dict[str, Any]] = field(default_factory=list)  # [{"state": ..., "slots": ...}]
    flow_version: str = ""
    last_activity: float = 0.0
    timeout_at: float | None = None  # when the state's own timeout fires, if it has one
    context: dict[str, Any] = field(default_factory=dict)  # user_context: profile, counters

    def snapshot(self) -> Session:
        """A copy to roll a failed turn back to. Its containers are new and their values shared:
        actions replace slot values and never change one in place, so that is enough (and
        cheap, whatever the results slots hold)."""
        return Session(
            user_id=self.user_id,
            state=self.state,
            slots=dict(self.slots),
            back=list(self.back),
            flow_version=self.flow_version,
            last_activity=self.last_activity,
            timeout_at=self.timeout_at,
            context=dict(self.context),
        )

    def to_data(self) -> dict[str, Any]:
        """The session_data column (JSON). A list held by several slots (the live slots and the
        "back" steps share their values) is written once, under "shared"."""
        shared: list[Any] = []
        seen: dict[int, int] = {}

        def ref(value: Any) -> Any:
            if not isinstance(value, list) or len(value) < 2:
                return value
            index = seen.get(id(value))
            if index is None:
                index = seen[id(value)] = len(shared)
                shared.append(value)
            return {SHARED_KEY: index}

        def slots(values: dict[str, Any]) -> dict[str, Any]:
            return {key: ref(value) for key, value in values.items()}

        return {
            "state": self.state,
            "slots": slots(self.slots),
            "back": [{**step, "slots": slots(step.get("slots") or {})} for step in self.back],
            "shared": shared,
            "flow_version": self.flow_version,
            "timeout_at": self.timeout_at,
        }

    @classmethod
    def from_data(
        cls, user_id: str, data: dict[str, Any], last_activity: float, context: dict[str, Any]
    ) -> Session:
        shared = data.get("shared") or []

        def deref(value: Any) -> Any:
            if isinstance(value, dict) and len(value) == 1 and SHARED_KEY in value:
                return shared[value[SHARED_KEY]]
            return value

        def slots(values: dict[str, Any] | None) -> dict[str, Any]:
            return {key: deref(value) for key, value in (values or {}).items()}

        return cls(
            user_id=user_id,
            state=str(data.get("state", "")),
            slots=slots(data.get("slots")),
            back=[{**step, "slots": slots(step.get("slots"))} for step in data.get("back") or []],
            flow_version=str(data.get("flow_version", "")),
            last_activity=last_activity,
            timeout_at=data.get("timeout_at"),
            context=context,
        )


class MessageType(StrEnum):
    """What a conversation row records (the ``message_type`` column): every kind written."""

    TEXT = "text"  # a turn that took the words: an intent, a search, an answer
    NOTICE = "notice"  # the user's state was removed by a flow edit: its flow restarted
    TIMEOUT = "timeout"  # back after the inactivity timeout, or a state's own timeout fired
    EMPTY = "empty"  # nothing to read (no text, or only an attachment)
    TOO_LONG = "too_long"  # longer than limits.max_message_chars: not read
    ERROR = "error"  # the turn failed and was rolled back: the flows' `error` message
    ADMIN = "admin"  # an admin's invite, revoke or who
    RATE_LIMITED = "rate_limited"  # over the per-sender rate limit: kept, not answered
    SHARED = "shared"  # in a channel or group chat: not read, asked to write one-to-one


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """One exchange: what the user sent and what the bot answered."""

    user_id: str
    message: str
    response: str
    timestamp: float
    message_type: MessageType = MessageType.TEXT
    message_sid: str | None = None
    state: str = ""
    intent: str | None = None
    score: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # provider, model, tokens, latency...
    # What the dashboard reads (bot/analytics): where the message came from, the state it found,
    # how long its reply took, how the turn went (bot/analytics/model.py OUTCOMES), when the
    # conversation it belongs to started (None: no conversation, e.g. rate limited) and the
    # flow actions it ran.
    channel: str = ""
    state_before: str = ""
    latency_ms: float | None = None
    outcome: str = ""
    started: float | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An acknowledged inbound message whose reply has not gone out (see keep_pending)."""

    message_sid: str
    user_id: str
    payload: dict[str, Any]  # what the channel needs to run the turn and send its reply
    reply: str | None = None  # the saved turn's response; None: the turn is still to run


class ConversationStore(abc.ABC):
    """Where sessions and history live. Implementations must be safe for concurrent turns of
    different users; the caller guarantees one turn at a time per user."""

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Connect and migrate. Called once before use."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections. Safe to call twice."""

    @abc.abstractmethod
    async def load_session(self, user_id: str) -> Session | None: ...

    @abc.abstractmethod
    async def load_turn(self, user_id: str, message_sid: str) -> tuple[Session | None, bool]:
        """The session, and whether ``message_sid`` was handled already, in one read."""

    @abc.abstractmethod
    async def save_turn(self, session: Session, rows: Sequence[ConversationRow]) -> None:
        """Write the session and the turn's conversation rows in one transaction, and claim
        the rows' MessageSids as handled in it: when one was handled already (a retry that
        ran elsewhere), nothing is written and DuplicateMessageError is raised."""

    @abc.abstractmethod
    async def append_rows(self, rows: Sequence[ConversationRow]) -> None:
        """Store rows that belong to no turn (admin commands, rate-limited messages), their
        MessageSids claimed as handled like save_turn's (DuplicateMessageError likewise)."""

    @abc.abstractmethod
    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]:
        """The user's most recent rows, oldest first."""

    @abc.abstractmethod
    async def claim_message(self, message_sid: str, user_id: str) -> bool:
        """Atomically record an inbound MessageSid ahead of its turn; False when it was seen
        before. (The WhatsApp webhook does not: its turn's save claims the MessageSid.)

        A message counts as handled once a row carrying its MessageSid is saved (save_turn or
        append_rows). A claim that was never handled - its instance died mid-turn - can be
        claimed again once it is older than the store's ``reclaim_after`` seconds, so Twilio's
        retry of it is processed rather than dropped as a duplicate. An owner still working on
        it keeps it with ``renew_claim``."""

    @abc.abstractmethod
    async def renew_claim(self, message_sid: str) -> bool:
        """The claim's owner is still working on it (its turn, or sending a kept message's
        reply): restart its ``reclaim_after`` window (a lease). False once there is nothing left
        to hold: handled and not kept, or never claimed."""

    @abc.abstractmethod
    async def keep_pending(self, message_sid: str, user_id: str, payload: dict[str, Any]) -> None:
        """Store what is needed to redo a message's turn and send its reply, before the
        message is acknowledged without its reply; kept until ``reply_sent``. Its claim starts
        now, for its owner to renew. Nothing is kept once it was handled, nor when it is kept
        already (a retry's delivery leaves it to the first one's)."""

    @abc.abstractmethod
    async def reply_sent(self, message_sid: str) -> None:
        """The kept message's reply went out (or was given up on): forget it."""

    @abc.abstractmethod
    async def pending_messages(self, limit: int = 100) -> list[PendingMessage]:
        """Kept messages whose reply has not gone out and whose claim went stale (its owner
        died), with the saved reply when the turn had ended. ``take_over`` one before redoing
        its turn or sending its reply."""

    @abc.abstractmethod
    async def take_over(self, message_sid: str) -> bool:
        """Atomically take a stale kept message over (its claim becomes this caller's, fresh);
        False when it is not stale any more or no longer kept (someone else took it)."""

    @abc.abstractmethod
    async def record_status(
        self, message_sid: str, status: str, timestamp: float, error_code: str | None = None
    ) -> bool:
        """Record a delivery status; False when it is older than the one already known."""

    @abc.abstractmethod
    async def message_status(self, message_sid: str) -> str | None: ...

    @abc.abstractmethod
    async def purge_older_than(self, cutoff: float) -> int:
        """Delete conversation rows older than ``cutoff`` (epoch seconds); how many went."""

    @abc.abstractmethod
    async def due_sessions(self, now: float, limit: int = 100) -> list[str]:
        """Users whose state timeout is due at ``now``."""

    @abc.abstractmethod
    async def active_sessions(self, since: float) -> int:
        """How many users were active since ``since``."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise StoreError when the database cannot be reached."""

    # -- access: people managed from the chat or the shell, and refusals

    @abc.abstractmethod
    async def member(self, user_id: str) -> Member | None:
        """The sender as an admin last set them (invited or revoked); None if never named."""

    @abc.abstractmethod
    async def members(self) -> list[Member]:
        """Everyone admins have named, by user id."""

    @abc.abstractmethod
    async def set_member(self, member: Member, entry: AuditEntry) -> None:
        """Write ``member`` and its audit entry in one transaction."""

    @abc.abstractmethod
    async def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        """The most recent access changes, newest first."""

    @abc.abstractmethod
    async def claim_refusal(self, user_id: str, now: float, every_seconds: float) -> bool:
        """True when ``user_id`` was not refused within ``every_seconds`` before ``now`` (and
        records ``now``): the one refusal they are told. Atomic across instances."""

    @property
    @abc.abstractmethod
    def analytics(self) -> Analytics:
        """The dashboard's figures, read from this store (bot/analytics/model.py)."""

    async def schema_version(self) -> int:
        """The database's schema version; 0 for a store without a schema (memory)."""
        return 0

    def latest_schema_version(self) -> int:
        """The schema version this code writes; 0 for a store without a schema."""
        return 0

    async def migrate(self) -> list[int]:
        """Apply pending schema migrations; the versions applied. ``open()`` already does this
        unless the store was built with ``auto_migrate=False``."""
        return []

    async def __aenter__(self) -> ConversationStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def status_rank(status: str) -> int:
    return STATUS_RANK.get(status.lower(), -1)
