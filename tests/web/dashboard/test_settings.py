"""The dashboard's settings: a mistake stops the start with the key and what to do."""

from __future__ import annotations

import pytest

from bot.config import load_settings, settings_from_mapping
from bot.errors import ConfigError
from bot.web.dashboard.passwords import Logins, hash_password


@pytest.mark.parametrize(
    ("dashboard", "key", "words"),
    [
        ({"users": ["ada"]}, "dashboard.users[0]", "python -m bot.web.dashboard.passwords"),
        ({"users": ["ada:plain-password"]}, "dashboard.users[0]", "NAME:scrypt$"),
        ({"users": [":scrypt$1$2$3$4$5"]}, "dashboard.users[0]", "NAME:scrypt$"),
        ({"password": " padded "}, "dashboard.password", "spaces around it"),
        ({"session_hours": 0}, "dashboard.session_hours", "greater than 0"),
        ({"max_failures": -1}, "dashboard.max_failures", "greater than 0"),
    ],
)
def test_a_wrong_dashboard_setting_names_its_key(
    dashboard: dict[str, object], key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"dashboard": dashboard})
    assert key in str(caught.value)
    assert words in str(caught.value)


def test_a_user_named_twice_is_refused() -> None:
    entry = f"ada:{hash_password('x' * 12)}"
    with pytest.raises(ConfigError, match="names 'ada' more than once"):
        settings_from_mapping({"dashboard": {"users": [entry, entry]}})


def test_the_password_comes_from_dashboard_password_and_is_kept_out_of_reprs() -> None:
    settings = load_settings(
        environ={"DASHBOARD_PASSWORD": "from the environment"}, read_dotenv=False
    )
    assert settings.dashboard.enabled
    assert settings.dashboard.password == "from the environment"
    assert "from the environment" not in repr(settings)
    assert not load_settings(environ={}, read_dotenv=False).dashboard.enabled


def test_a_stored_hash_checks_only_its_own_password() -> None:
    logins = Logins(users=(f"ada:{hash_password('ada password 1')}",))
    assert logins.check("ada", "ada password 1")
    assert not logins.check("ada", "ada password 2")
    assert not logins.check("bob", "ada password 1")
    assert not Logins(users=("ada:scrypt$x$y$z$!!$??",)).check("ada", "anything")
