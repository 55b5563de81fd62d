"""What the store keeps about people managed without a redeploy: invited or revoked senders,
the audit of every change, and when each outsider was last told they may not talk."""

from __future__ import annotations

from dataclasses import dataclass

INVITE = "invite"
REVOKE = "revoke"


@dataclass(frozen=True, slots=True)
class Member:
    """A sender named by an admin. ``revoked`` wins over config.yaml, so an admin can shut
    someone out from the chat at once; a later invite lets them back in."""

    user_id: str
    group: str = ""  # "" for none: only the repositories without an `allow` list
    revoked: bool = False
    changed_by: str = ""
    changed_at: float = 0.0


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: who made it, when, and what (invite or revoke, whom, which group)."""

    at: float
    actor: str  # the admin's sender key, or "cli:<login>" for `python -m bot users`
    action: str  # INVITE | REVOKE
    user_id: str
    group: str = ""
    via: str = "chat"  # chat | cli


def change_of(member: Member, *, via: str) -> AuditEntry:
    """The audit entry recording ``member`` as it is now written."""
    return AuditEntry(
        at=member.changed_at,
        actor=member.changed_by,
        action=REVOKE if member.revoked else INVITE,
        user_id=member.user_id,
        group=member.group,
        via=via,
    )
