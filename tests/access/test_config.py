"""The `access:` section and the repositories' `allow:` lists, as an operator writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, settings_from_mapping
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("env", "mode"), [("production", "allowlist"), ("development", "open")])
def test_the_mode_defaults_to_allowlist_in_production_only(env: str, mode: str) -> None:
    settings = load_settings(ROOT / "config.yaml", environ={"BOT_ENV": env}, read_dotenv=False)
    assert settings.access.mode == mode


def test_the_mode_and_users_can_come_from_the_environment() -> None:
    settings = load_settings(
        ROOT / "config.yaml",
        environ={"BOT_ACCESS__MODE": "allowlist", "BOT_ACCESS__USERS": "+1 555 000 0001,slack:T:U"},
        read_dotenv=False,
    )
    assert settings.access.mode == "allowlist"
    assert settings.access.users == ("+15550000001", "slack:T:U")


def test_every_person_is_kept_in_the_form_senders_arrive_in(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {
            "access": {
                "users": ["whatsapp:+1 555 000 0001"],
                "groups": {"web": ["+1 (555) 000-0002"]},
                "admins": ["+1.555.000.0009"],
            },
            "repos": [{"name": "site", "path": ".", "allow": ["web", "+1 555 000 0003"]}],
        },
        base_dir=tmp_path,
    )
    access = settings.access
    assert access.users == ("+15550000001",) and access.admins == ("+15550000009",)
    assert access.group("web") is not None and access.group("web").members == ("+15550000002",)  # type: ignore[union-attr]
    assert settings.repos[0].allow == ("web", "+15550000003")


@pytest.mark.parametrize(
    ("data", "key", "problem"),
    [
        ({"access": {"mode": "closed"}}, "access.mode", "must be open or allowlist"),
        ({"access": {"users": ["5550000001"]}}, "access.users", "international form"),
        ({"access": {"groups": {"web": ["bob"]}}}, "access.groups.web", "neither a phone"),
        (
            {"repos": [{"name": "site", "path": ".", "allow": ["wbe"]}]},
            "repos.site.allow",
            "'wbe', which is not a group",
        ),
        (
            {"repos": [{"name": "site", "path": ".", "allow": []}]},
            "repos[0].allow",
            "would let everyone read it",
        ),
        ({"access": {"refusal_every_hours": 0}}, "access.refusal_every_hours", "greater than 0"),
    ],
)
def test_a_mistake_in_access_is_refused_naming_the_key(
    tmp_path: Path, data: dict[str, object], key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data, base_dir=tmp_path)
    assert key in str(caught.value) and problem in str(caught.value)
