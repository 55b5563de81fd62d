"""Who may talk, and which repositories each sender may read.

config.yaml names the users, groups, admins and each repository's `allow:` list; admins add and
revoke people from the chat or the shell, and the store keeps those changes. A change in the
store wins over config.yaml for the person it names, and is read on every message, so it holds
at once on every instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import AccessConfig, RepoConfig
from bot.store.base import ConversationStore
from bot.store.members import Member

OPEN = "open"
ALLOWLIST = "allowlist"


@dataclass(frozen=True, slots=True)
class Viewer:
    """One sender as access sees them this turn."""

    user_id: str
    allowed: bool  # may talk at all
    admin: bool = False
    groups: frozenset[str] = frozenset()
    repos: tuple[str, ...] = ()  # the repositories they may read, in config order


@dataclass(frozen=True, slots=True)
class Person:
    """One line of `who`: a sender config.yaml or an admin has named."""

    user_id: str
    groups: tuple[str, ...]
    allowed: bool
    admin: bool
    source: str  # "config", or who changed it last and how ("+1555... (chat)")


class AccessPolicy:
    def __init__(
        self, config: AccessConfig, repos: Sequence[RepoConfig], store: ConversationStore
    ) -> None:
        self.config = config
        self.store = store
        self._repos = tuple(repos)
        self._admins = frozenset(config.admins)
        self._users = frozenset(config.users) | self._admins
        self._groups: dict[str, set[str]] = {}
        for group in config.groups:
            for user in group.members:
                self._groups.setdefault(user, set()).add(group.name)
        self._users |= frozenset(self._groups)

    @property
    def mode(self) -> str:
        return self.config.mode or OPEN

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.config.groups)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self._admins

    async def viewer(self, user_id: str) -> Viewer:
        """What ``user_id`` may do now (one store lookup: an admin's change holds at once)."""
        member = await self.store.member(user_id)
        return self.resolve(user_id, member)

    def resolve(self, user_id: str, member: Member | None) -> Viewer:
        admin = user_id in self._admins
        groups = set(self._groups.get(user_id, ()))
        if member is not None and not member.revoked and member.group:
            groups.add(member.group)
        if admin:
            allowed = True  # admins are set in config.yaml only, so nobody can lock them out
        elif member is not None:
            allowed = not member.revoked
        else:
            allowed = self.mode == OPEN or user_id in self._users
        if not allowed:
            return Viewer(user_id, allowed=False)
        frozen = frozenset(groups)
        return Viewer(user_id, True, admin, frozen, self.readable(user_id, frozen))

    def readable(self, user_id: str, groups: frozenset[str]) -> tuple[str, ...]:
        who = groups | {user_id}
        return tuple(r.name for r in self._repos if not r.allow or who & set(r.allow))

    async def people(self) -> list[Person]:
        """Everyone named in config.yaml or by an admin, by user id."""
        members = {m.user_id: m for m in await self.store.members()}
        people = []
        for user_id in sorted(self._users | set(members)):
            member = members.get(user_id)
            viewer = self.resolve(user_id, member)
            source = "config" if member is None else f"{member.changed_by}"
            people.append(
                Person(
                    user_id,
                    tuple(sorted(viewer.groups)),
                    viewer.allowed,
                    viewer.admin,
                    source,
                )
            )
        return people
