"""Settings: file, .env and environment, with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_config_loads_with_the_embedded_defaults() -> None:
    settings = load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)
    assert settings.storage.database_url == "sqlite:///data/bot.db"
    assert [r.name for r in settings.repos] == ["codechat", "jinja2", "aiohttp"]
    assert settings.repos[0].root(settings.base_dir) == ROOT
    assert (settings.repos[1].root(settings.base_dir) / "environment.py").exists()


def test_documented_variables_and_generic_overrides() -> None:
    settings = load_settings(
        ROOT / "config.yaml",
        environ={
            "DATABASE_URL": "postgresql://localhost/test",
            "TWILIO_AUTH_TOKEN": "secret",
            "OPENAI_API_KEY": "sk-test",
            "LOG_LEVEL": "DEBUG",
            "PORT": "9000",
            "BOT_LIMITS__RATE_LIMIT_PER_MINUTE": "25",
            "BOT_LLM__CHAIN": "anthropic,local",
        },
        read_dotenv=False,
    )
    assert settings.storage.database_url == "postgresql://localhost/test"
    assert settings.twilio.auth_token == "secret"
    assert settings.llm.openai.api_key == "sk-test"
    assert settings.log_level == "DEBUG"
    assert settings.server.port == 9000
    assert settings.limits.rate_limit_per_minute == 25
    assert settings.llm.chain == ("anthropic", "local")


def test_bot_config_names_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("repos:\n  - {name: here, path: .}\n", encoding="utf-8")
    settings = load_settings(environ={"BOT_CONFIG": str(other)}, read_dotenv=False)
    assert [r.name for r in settings.repos] == ["here"]
    assert settings.repos[0].root(settings.base_dir) == tmp_path


def test_dotenv_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=WARNING\nPORT=7000\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"PORT": "7001"})
    assert settings.log_level == "WARNING"
    assert settings.server.port == 7001


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PORT": "eighty"}, "Config 'server.port' must be a whole number, got 'eighty'"),
        ({"BOT_FLOWS__RELOAD": "maybe"}, "Config 'flows.reload' must be true or false"),
        ({"DATABASE_URL": "mysql://x"}, "Config 'storage.database_url' must start with"),
        ({"BOT_ENV": "staging"}, "Config 'env' must be development, production or test"),
        ({"BOT_LIMITS__RATE_LIMIT_PER_MINUTE": "0"}, "must be greater than 0"),
        ({"BOT_NLU__THRESHOLD": "300"}, "Config 'nlu.threshold' must be between 0 and 100"),
        ({"BOT_LIMITS__MAX_REPLY_CHARS": "12"}, "Config 'limits.max_reply_chars' must be at least"),
    ],
)
def test_wrong_values_name_the_key_and_what_is_expected(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(ROOT / "config.yaml", environ=environ, read_dotenv=False)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "limits:\n  rate_limt_per_minute: 5\n",
            "Config 'limits.rate_limt_per_minute' is not a known setting",
        ),
        ("repos:\n  - {name: a}\n", "needs exactly one of 'path', 'package' or 'git'"),
        ("repos:\n  - {name: a, path: ., git: /x.git}\n", "needs exactly one of"),
        ("repos:\n  - {name: a, path: ., branch: main}\n", "applies to 'git' repositories"),
        ("repos:\n  - {name: a, git: /x.git, branch: b, ref: v1}\n", "follows a branch or"),
        ("repos:\n  - {name: a, git: /x.git, refresh: soon}\n", "such as 30s, 10m or 1h"),
        ("repos:\n  - {name: a, path: .}\n  - {name: a, path: x}\n", "names 'a' more than once"),
        ("repos:\n  - {name: a, package: no_such_package_xyz}\n", None),
        ("server: [1, 2]\n", "Config 'server' must be a mapping"),
        ("server: {port: 8080\n", "is not valid YAML"),
    ],
)
def test_broken_config_files(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    if message is None:  # a missing package is only found when the repo is used
        settings = load_settings(path, environ={}, read_dotenv=False)
        with pytest.raises(ConfigError, match="no_such_package_xyz"):
            settings.repos[0].root(settings.base_dir)
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={}, read_dotenv=False)
    assert message in str(caught.value)


def test_a_named_config_file_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml", environ={}, read_dotenv=False)


def test_git_repositories_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "repos:\n"
        "  - {name: shop, git: 'git@github.com:org/shop.git', refresh: 10m, ssh_key: k}\n"
        "  - {name: docs, git: 'https://gitlab.com/org/docs.git', ref: v1.2, token_env: T}\n",
        encoding="utf-8",
    )
    settings = load_settings(path, environ={}, read_dotenv=False)
    shop, docs = settings.repos
    assert shop.refresh_seconds == 600
    assert docs.refresh_seconds == 0
    assert shop.root(tmp_path, repos_dir=tmp_path / "clones") == tmp_path / "clones" / "shop"
    assert docs.root(tmp_path) == tmp_path / "data" / "repos" / "docs"


@pytest.mark.parametrize("path", ["config.yaml", "deploy/k8s/base/config.yaml"])
def test_the_fast_yaml_reader_reads_as_pyyaml_safe_load(path: str) -> None:
    import yaml

    from bot.config import _read_yaml

    text = (ROOT / path).read_text(encoding="utf-8")
    assert _read_yaml(text) == yaml.safe_load(text)


def test_a_broken_config_is_described_by_the_python_parser(tmp_path: Path) -> None:
    import yaml

    text = "server:\n  port: 8080\n   host: x\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={}, read_dotenv=False)
    assert str(expected.value) in str(raised.value)
