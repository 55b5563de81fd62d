"""Who may talk and what each sender reads, from config.yaml and from admins' changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.access.admin import Admin
from bot.access.policy import AccessPolicy
from bot.config import settings_from_mapping
from bot.store.members import Member, change_of
from bot.store.memory import MemoryStore


def _policy(tmp_path: Path, store: MemoryStore, **access: Any) -> AccessPolicy:
    settings = settings_from_mapping(
        {
            "access": {
                "mode": "allowlist",
                "users": ["+15550000001"],
                "groups": {"web": ["+15550000002"], "ops": ["+15550000003"]},
                "admins": ["+15550000009"],
                **access,
            },
            "repos": [
                {"name": "site", "path": ".", "allow": ["web"]},
                {"name": "infra", "path": ".", "allow": ["ops", "+15550000001"]},
                {"name": "docs", "path": "."},
            ],
        },
        base_dir=tmp_path,
    )
    return AccessPolicy(settings.access, settings.repos, store)


async def test_the_allowlist_lets_in_only_those_it_names(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MemoryStore())
    seen = {u: await policy.viewer(u) for u in ("+15550000001", "+15550000002", "+15559999999")}
    assert seen["+15559999999"].allowed is False and seen["+15559999999"].repos == ()
    assert seen["+15550000001"].repos == ("infra", "docs")  # named in infra's allow list
    assert seen["+15550000002"].repos == ("site", "docs")
    admin = await policy.viewer("+15550000009")
    assert admin.allowed and admin.admin and admin.repos == ("docs",)  # no group: no extra


async def test_open_mode_lets_anyone_talk_but_keeps_each_allow_list(tmp_path: Path) -> None:
    policy = _policy(tmp_path, MemoryStore(), mode="open")
    stranger = await policy.viewer("+15559999999")
    assert stranger.allowed and stranger.repos == ("docs",)


async def test_an_admins_change_wins_over_config_and_holds_at_once(tmp_path: Path) -> None:
    store = MemoryStore()
    policy = _policy(tmp_path, store)
    revoked = Member("+15550000002", revoked=True, changed_by="+15550000009", changed_at=1.0)
    await store.set_member(revoked, change_of(revoked, via="chat"))
    assert (await policy.viewer("+15550000002")).allowed is False  # in config.yaml, revoked
    moved = Member("+15550000002", "ops", changed_by="+15550000009", changed_at=2.0)
    await store.set_member(moved, change_of(moved, via="chat"))
    assert (await policy.viewer("+15550000002")).repos == ("site", "infra", "docs")


async def test_people_lists_config_and_admin_changes(tmp_path: Path) -> None:
    store = MemoryStore()
    policy = _policy(tmp_path, store)
    invited = Member("slack:T1:U2", "web", changed_by="cli:ops", changed_at=1.0)
    await store.set_member(invited, change_of(invited, via="cli"))
    people = {p.user_id: p for p in await policy.people()}
    assert set(people) == {
        "+15550000001", "+15550000002", "+15550000003", "+15550000009", "slack:T1:U2"
    }  # fmt: skip
    assert people["slack:T1:U2"].groups == ("web",) and people["slack:T1:U2"].source == "cli:ops"
    assert people["+15550000009"].admin


async def test_invite_reads_the_group_after_a_number_written_with_spaces(tmp_path: Path) -> None:
    store = MemoryStore()
    teams = {"web": ["+15550000002"], "ops": [], "2026-team": ["+15550000004"]}
    policy = _policy(tmp_path, store, groups=teams)
    admin = Admin(policy, clock=lambda: 5.0)
    boss = await policy.viewer("+15550000009")
    reply = await admin.handle(boss, "invite +1 555 000 0007 2026-TEAM")
    assert reply is not None and reply.startswith("Invited +15550000007 to group 2026-team.")
    assert await admin.handle(boss, "invite +1 555 000 0008") == (
        "Invited +15550000008. They can talk to me now and read 1 repository."
    )
    assert await admin.handle(boss, "invite") == (
        "Admin commands: *invite* +15551234567 [group], *revoke* +15551234567, *who*.\n"
        "Groups: web, ops, 2026-team."
    )
    assert await admin.handle(boss, "invite alice") == (
        "“alice” is neither a phone number (+15551234567) nor a channel id (like slack:T1:U2)"
    )
    assert [m.user_id for m in await store.members()] == ["+15550000007", "+15550000008"]
