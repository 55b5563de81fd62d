"""People management without a redeploy: `invite`, `revoke` and `who`, from the chat (admins
only; for anyone else these are ordinary words) and from `python -m bot users`.

Every change is written with its audit entry (who, when, what) in one transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from bot.access.policy import AccessPolicy, Person, Viewer
from bot.access.senders import user_key
from bot.store.members import Member, change_of

USAGE = (
    "Admin commands: *invite* +15551234567 [group], *revoke* +15551234567, *who*.\n"
    "Groups: {groups}."
)
_PHONEISH = re.compile(r"[+(]|\d")


class Admin:
    """The changes themselves, shared by the chat commands and the shell command."""

    def __init__(self, policy: AccessPolicy, *, clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self.clock = clock

    async def handle(self, viewer: Viewer, text: str) -> str | None:
        """The reply to an admin command, or None when ``text`` is not one (or the sender is
        not an admin: then the words go to the conversation like any other)."""
        if not viewer.admin:
            return None
        verb, _, rest = text.strip().partition(" ")
        verb, rest = verb.casefold(), rest.strip()
        if verb == "who" and not rest:
            return await self.who()
        if verb not in ("invite", "revoke"):
            return None
        if not rest:
            return self.usage()
        try:
            if verb == "invite":
                user, group = self._split_group(rest)
                return await self.invite(user, group, actor=viewer.user_id, via="chat")
            return await self.revoke(rest, actor=viewer.user_id, via="chat")
        except ValueError as exc:
            return str(exc)

    def usage(self) -> str:
        return USAGE.format(groups=", ".join(self.policy.group_names) or "none configured")

    async def invite(self, raw_user: str, group: str = "", *, actor: str, via: str) -> str:
        """Let ``raw_user`` talk (into ``group``, a configured group, if given)."""
        user = user_key(raw_user)
        group = self._group(group) if group else ""
        member = Member(user, group, revoked=False, changed_by=actor, changed_at=self.clock())
        await self.policy.store.set_member(member, change_of(member, via=via))
        viewer = self.policy.resolve(user, member)
        where = f" to group {group}" if group else ""
        count = len(viewer.repos)
        return (
            f"Invited {user}{where}. They can talk to me now and read "
            f"{count} repositor{'y' if count == 1 else 'ies'}."
        )

    async def revoke(self, raw_user: str, *, actor: str, via: str) -> str:
        """Shut ``raw_user`` out at once, whatever config.yaml says (admins excepted)."""
        user = user_key(raw_user)
        if self.policy.is_admin(user):
            raise ValueError(f"{user} is an admin in config.yaml: remove them there.")
        member = Member(user, "", revoked=True, changed_by=actor, changed_at=self.clock())
        await self.policy.store.set_member(member, change_of(member, via=via))
        return f"Revoked {user}: they can no longer talk to me."

    async def who(self) -> str:
        people = await self.policy.people()
        if not people:
            return f"Nobody is named yet (mode: {self.policy.mode})."
        lines = [f"Access mode: {self.policy.mode}. {len(people)} named:"]
        lines += [describe(p) for p in people]
        return "\n".join(lines)

    def _split_group(self, rest: str) -> tuple[str, str]:
        """ "+1 555 123 4567 backend" -> ("+1 555 123 4567", "backend")."""
        head, _, last = rest.rpartition(" ")
        groups = {g.casefold() for g in self.policy.group_names}
        if head and (last.casefold() in groups or not _PHONEISH.match(last)):
            return head, last
        return rest, ""

    def _group(self, name: str) -> str:
        known = {g.casefold(): g for g in self.policy.group_names}
        found = known.get(name.casefold())
        if found is None:
            listed = ", ".join(self.policy.group_names) or "none are configured"
            raise ValueError(f"There is no group “{name[:40]}”. Groups: {listed}.")
        return found


def describe(person: Person) -> str:
    """`+15551234567 - backend, mobile (admin)` / `+1555... - revoked by +1000...`."""
    if not person.allowed:
        return f"{person.user_id} - revoked by {person.source}"
    groups = ", ".join(person.groups) or "no group"
    admin = " (admin)" if person.admin else ""
    by = "" if person.source == "config" else f", invited by {person.source}"
    return f"{person.user_id} - {groups}{admin}{by}"
