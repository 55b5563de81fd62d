"""Settings: config.yaml, then a `.env` file, then the environment, validated with clear errors.

Every value can be overridden from the environment as ``BOT_<SECTION>__<KEY>`` (for example
``BOT_LIMITS__RATE_LIMIT_PER_MINUTE=20``); the product's documented variables (``DATABASE_URL``,
``TWILIO_AUTH_TOKEN``, ...) are mapped in ``ENV_ALIASES``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.access.senders import user_key
from bot.errors import ConfigError

DEFAULT_CONFIG = "config.yaml"


@dataclass(frozen=True, slots=True)
class RepoConfig:
    name: str
    path: str = ""
    package: str = ""  # an installed Python package whose source is the repository
    git: str = ""  # a URL (https, ssh, file://) or local path cloned into search.repos_dir
    branch: str = ""  # git: the branch followed; empty: the remote's default branch
    ref: str = ""  # git: a pinned commit or tag, never updated
    refresh: str = ""  # git: how often to fetch, e.g. 10m, 1h (empty: only on webhooks)
    token_env: str = ""  # git https: the environment variable holding the access token
    username: str = "x-access-token"  # git https: the user name sent with the token
    ssh_key: str = ""  # git ssh: the private key file
    web_url: str = ""  # git: link template, e.g. https://host/org/repo/blob/{commit}/{path}#L{line}
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    description: str = ""
    aliases: tuple[str, ...] = ()  # other names people use for it: "the bot", "the http library"
    allow: tuple[str, ...] = ()  # groups and users who may read it; empty: everyone

    @property
    def refresh_seconds(self) -> float:
        """`refresh` in seconds; 0 when the repository is updated on webhooks only."""
        return duration_seconds(self.refresh) if self.refresh else 0.0

    def root(self, base: Path, *, repos_dir: Path | None = None) -> Path:
        """The repository's directory; relative paths are taken from the config file's folder.
        A `git:` repository's is its checkout under ``repos_dir`` (default: data/repos)."""
        if self.git:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
            return ((repos_dir or base / "data" / "repos") / safe).resolve()
        if self.package:
            spec = importlib.util.find_spec(self.package)
            locations = list(spec.submodule_search_locations or []) if spec else []
            if not locations:
                raise ConfigError(
                    f"repos.{self.name}.package", f"names '{self.package}', which is not installed"
                )
            return Path(locations[0]).resolve()
        path = Path(self.path).expanduser()
        return (path if path.is_absolute() else base / path).resolve()


@dataclass(frozen=True, slots=True)
class StorageConfig:
    database_url: str = "sqlite:///data/bot.db"
    # SQLite only: encrypt the database and its backups (SQLCipher); kept out of reprs
    database_key: str = field(default="", repr=False)
    redis_url: str = ""
    retention_days: int = 90
    backup_dir: str = "data/backups"
    hash_key_file: str = "data/sender-hash.key"  # log pseudonyms' key when there is no auth token
    backups_kept: int = 7
    pool_size: int = 10
    lock_lease_seconds: float = 10.0  # a crashed instance blocks its senders this long at most
    reclaim_after_seconds: float = 15.0  # Twilio gives up on a webhook after 15 s: retry is ours
    redis_retry_seconds: float = 5.0  # how often a degraded instance tries Redis again
    backup_interval_hours: float = 24.0
    purge_interval_minutes: float = 60.0


@dataclass(frozen=True, slots=True)
class FlowsConfig:
    dir: str = "flows"
    prompts_dir: str = "prompts"
    reload: bool = True
    reload_poll_seconds: float = 0.5
    # A file that keeps the flows as last loaded and checked: an unchanged flows folder (and
    # code) is not loaded nor checked again at start-up (bot/flows/checkcache.py). "": off.
    check_cache: str = ""


@dataclass(frozen=True, slots=True)
class NluConfig:
    threshold: float = 78.0
    ambiguity_margin: float = 4.0
    # How sure the classifier learned from `phrasings:` must be to take a message no example
    # matched as a command (above 0, at most 1; 1 turns it off: no probability exceeds it).
    learned_confidence: float = 0.75


@dataclass(frozen=True, slots=True)
class SessionsConfig:
    timeout_minutes: float = 30.0
    back_depth: int = 5
    sweep_seconds: float = 5.0  # how often due state timeouts are looked for
    history_turns: int = 10


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    max_message_chars: int = 4000
    max_body_bytes: int = 65536
    rate_limit_per_minute: int = 10
    reply_budget_seconds: float = 2.0
    max_reply_chars: int = 1600
    outbound_timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str = ""
    auth_token: str = ""
    whatsapp_number: str = ""
    api_base_url: str = ""  # empty: Twilio's own; tests point it at a local server
    rest_delivery: bool = True  # send slow replies and timeouts through the REST API
    interactive: bool = False  # choices as quick-reply buttons / list pickers (Content API)


@dataclass(frozen=True, slots=True)
class SlackConfig:
    # The app's Signing Secret (every request from Slack is checked) and its bot token
    # (xoxb-...: replies go out through chat.postMessage).
    signing_secret: str = field(default="", repr=False)
    bot_token: str = field(default="", repr=False)
    api_base_url: str = ""  # empty: Slack's own; tests point it at a local server

    @property
    def enabled(self) -> bool:
        return bool(self.signing_secret.strip() and self.bot_token.strip())


@dataclass(frozen=True, slots=True)
class TeamsConfig:
    """Microsoft Teams through an Azure Bot registration (docs/channels.md). Without an app id
    POST /teams/messages answers 503: no token could be checked."""

    app_id: str = ""  # TEAMS_APP_ID: the bot's Microsoft App ID, the audience of its tokens
    app_password: str = field(default="", repr=False)  # TEAMS_APP_PASSWORD: its client secret
    # TEAMS_TENANT_ID: a single-tenant bot's tenant; empty for a multi-tenant bot
    tenant_id: str = ""
    # Where Bot Framework publishes the keys that sign the tokens it sends the bot.
    openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    issuer: str = "https://api.botframework.com"
    # Where the bot gets its own token for the Bot Connector API (empty: Microsoft Entra's,
    # for tenant_id or botframework.com); tests point these at local servers.
    token_url: str = ""
    keys_refresh_seconds: float = 86400.0  # Microsoft rotates signing keys; refetch daily


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    api_key: str = ""
    model: str = ""
    base_url: str = ""
    max_context_tokens: int = 16000
    max_output_tokens: int = 800
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0


@dataclass(frozen=True, slots=True)
class LLMConfig:
    chain: tuple[str, ...] = ("openai", "anthropic", "local")
    timeout_seconds: float = 30.0
    attempts: int = 3
    daily_budget_usd: float = 1.0
    max_snippets: int = 6
    max_snippet_chars: int = 1500
    openai: ProviderConfig = ProviderConfig(model="gpt-4o-mini")
    anthropic: ProviderConfig = ProviderConfig(model="claude-3-5-haiku-latest")


@dataclass(frozen=True, slots=True)
class SearchConfig:
    index_dir: str = "data/index"
    max_results: int = 20
    max_result_chars: int = 20000
    max_file_bytes: int = 1_000_000
    regex_timeout_seconds: float = 1.0
    chunkhound_command: str = "chunkhound"
    embedding_base_url: str = ""
    embedding_model: str = ""
    embedding_api_key: str = ""
    index_workers: int = 2  # processes that read and parse a large repository at start
    repos_dir: str = "data/repos"  # where `git:` repositories are cloned
    git_timeout_seconds: float = 300.0  # one clone or fetch; longer is an error
    git_max_size_mb: float = 2000.0  # a checkout larger than this is refused
    git_min_free_mb: float = 200.0  # no fetch when the data folder's disk has less free


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """Answers (language-model completions) and search results, reused while the repository's
    index and the prompt templates are unchanged: in Redis when storage.redis_url is set (every
    instance shares them), else in this process within memory_max_bytes."""

    enabled: bool = True
    answer_ttl_seconds: float = 86400.0
    search_ttl_seconds: float = 3600.0
    memory_max_bytes: int = 32_000_000
    memory_max_entries: int = 5000
    key_prefix: str = "codechat:cache"


@dataclass(frozen=True, slots=True)
class SecretsConfig:
    mask: bool = True  # hide API keys, tokens and private keys wherever code is shown
    patterns: tuple[str, ...] = ()  # more regexes to hide (group 1 when it has one)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 8080
    public_base_url: str = ""
    metrics_token: str = ""  # bearer token for /metrics and the detailed /health
    # GIT_WEBHOOK_SECRET: signs the push webhooks of POST /hooks/git (unset: the route answers 503)
    git_webhook_secret: str = field(default="", repr=False)
    # SIGTERM to exit, at most: in-flight requests, queued replies and closing all fit in it,
    # and a process still alive after it exits hard (its unfinished turns are kept, bot/web/
    # recovery.py). Keep it below the platform's own grace period (fly.toml kill_timeout).
    shutdown_grace_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """The operators' dashboard at /dashboard: off (404) unless a password or a user is set."""

    password: str = field(default="", repr=False)  # DASHBOARD_PASSWORD: one shared login
    # "name:scrypt$..." entries (python -m bot.web.dashboard.passwords NAME makes one)
    users: tuple[str, ...] = field(default=(), repr=False)
    session_hours: float = 12.0  # a login lasts this long
    max_failures: int = 5  # bad logins from one address before it waits
    lockout_minutes: float = 15.0

    @property
    def enabled(self) -> bool:
        return bool(self.password or self.users)


DEFAULT_REFUSAL = (
    "Sorry, this is a private service and your number is not on its list. "
    "If you think it should be, ask the person who gave you this number."
)


@dataclass(frozen=True, slots=True)
class GroupConfig:
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessConfig:
    """Who may talk (``mode``: open or allowlist; empty: allowlist in production, else open)."""

    mode: str = ""
    users: tuple[str, ...] = ()
    groups: tuple[GroupConfig, ...] = ()
    admins: tuple[str, ...] = ()
    refusal: str = DEFAULT_REFUSAL
    refusal_every_hours: float = 24.0

    def group(self, name: str) -> GroupConfig | None:
        return next((g for g in self.groups if g.name == name), None)


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    log_level: str = "INFO"
    log_file: str = ""  # also write the JSON lines here, rotated (LOG_FILE)
    log_file_max_bytes: int = 10_000_000
    log_file_backups: int = 5
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    flows: FlowsConfig = FlowsConfig()
    nlu: NluConfig = NluConfig()
    sessions: SessionsConfig = SessionsConfig()
    limits: LimitsConfig = LimitsConfig()
    twilio: TwilioConfig = TwilioConfig()
    teams: TeamsConfig = TeamsConfig()
    slack: SlackConfig = SlackConfig()
    llm: LLMConfig = LLMConfig()
    search: SearchConfig = SearchConfig()
    access: AccessConfig = AccessConfig()
    cache: CacheConfig = CacheConfig()
    secrets: SecretsConfig = SecretsConfig()
    dashboard: DashboardConfig = DashboardConfig()
    repos: tuple[RepoConfig, ...] = ()
    base_dir: Path = field(default=Path("."), compare=False)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def repo(self, name: str) -> RepoConfig | None:
        return next((r for r in self.repos if r.name == name), None)


# The product's documented variables, and where each lands.
ENV_ALIASES: Mapping[str, str] = {
    "BOT_ENV": "env",
    "LOG_LEVEL": "log_level",
    "LOG_FILE": "log_file",
    "PORT": "server.port",
    "HOST": "server.host",
    "PUBLIC_BASE_URL": "server.public_base_url",
    "METRICS_TOKEN": "server.metrics_token",
    "GIT_WEBHOOK_SECRET": "server.git_webhook_secret",
    "DASHBOARD_PASSWORD": "dashboard.password",
    "DATABASE_URL": "storage.database_url",
    "DATABASE_KEY": "storage.database_key",
    "REDIS_URL": "storage.redis_url",
    "TWILIO_ACCOUNT_SID": "twilio.account_sid",
    "TWILIO_AUTH_TOKEN": "twilio.auth_token",
    "TWILIO_WHATSAPP_NUMBER": "twilio.whatsapp_number",
    "TWILIO_API_BASE_URL": "twilio.api_base_url",
    "TEAMS_APP_ID": "teams.app_id",
    "TEAMS_APP_PASSWORD": "teams.app_password",
    "TEAMS_TENANT_ID": "teams.tenant_id",
    "SLACK_SIGNING_SECRET": "slack.signing_secret",
    "SLACK_BOT_TOKEN": "slack.bot_token",
    "SLACK_API_BASE_URL": "slack.api_base_url",
    "OPENAI_API_KEY": "llm.openai.api_key",
    "OPENAI_BASE_URL": "llm.openai.base_url",
    "OPENAI_MODEL": "llm.openai.model",
    "ANTHROPIC_API_KEY": "llm.anthropic.api_key",
    "ANTHROPIC_BASE_URL": "llm.anthropic.base_url",
    "ANTHROPIC_MODEL": "llm.anthropic.model",
}
ENV_PREFIX = "BOT_"


def load_settings(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    read_dotenv: bool = True,
) -> Settings:
    """Read the config file (``path``, else ``BOT_CONFIG``, else ./config.yaml) and the env."""
    env = dict(os.environ if environ is None else environ)
    if read_dotenv:
        env = {**_dotenv(Path(".env")), **env}
    config_path = Path(path or env.get("BOT_CONFIG") or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            loaded = _read_yaml(config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(str(config_path), f"is not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(str(config_path), "must be a mapping of sections at the top level")
        data = loaded or {}
    elif path is not None or "BOT_CONFIG" in env:
        raise ConfigError(str(config_path), "names a file that does not exist")
    _apply_env(data, env)
    settings = _build(Settings, data, "")
    settings = dataclasses.replace(settings, base_dir=config_path.resolve().parent)
    _check(settings)
    return _with_access_mode(settings)


def _read_yaml(text: str) -> Any:
    """PyYAML's safe loading, by libyaml when PyYAML was built with it (about 10x faster). A
    file it refuses is read again by the Python parser, whose message quotes the line."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def settings_from_mapping(data: Mapping[str, Any], *, base_dir: Path | None = None) -> Settings:
    """Settings from an in-memory mapping (tests, embedding)."""
    settings = _build(Settings, dict(data), "")
    settings = dataclasses.replace(settings, base_dir=(base_dir or Path.cwd()).resolve())
    _check(settings)
    return _with_access_mode(settings)


def _dotenv(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, dotted in ENV_ALIASES.items():
        if name in env:
            _set_dotted(data, dotted, env[name])
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and "__" in name:
            dotted = name[len(ENV_PREFIX) :].lower().replace("__", ".")
            _set_dotted(data, dotted, value)


def _set_dotted(data: dict[str, Any], dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


_T = typing.TypeVar("_T")


def _build(cls: type[_T], data: Any, where: str) -> _T:
    if not isinstance(data, Mapping):
        raise ConfigError(where or "(top level)", f"must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "base_dir"}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            _join(where, unknown[0]), f"is not a known setting; known: {', '.join(sorted(known))}"
        )
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {}
    for key, value in data.items():
        default = defaults.get(key)
        if dataclasses.is_dataclass(default) and isinstance(value, Mapping):
            # A partial section keeps the defaults of the keys it does not name.
            nested = _build(type(default), value, _join(where, key))
            named = {k: getattr(nested, k) for k in value}
            values[key] = dataclasses.replace(default, **named)  # type: ignore[type-var]
        else:
            values[key] = _coerce(hints[key], value, _join(where, key))
    return cls(**values)


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value if value is not None else {}, key)  # type: ignore[arg-type]
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if item_tp is GroupConfig and isinstance(value, Mapping):
            value = [{"name": k, "members": v} for k, v in value.items()]
        if not isinstance(value, list | tuple):
            raise ConfigError(key, f"must be a list, got {value!r}")
        if item_tp is RepoConfig:
            return tuple(_repo(item, f"{key}[{i}]") for i, item in enumerate(value))
        if item_tp is GroupConfig:
            return _groups(value, key)
        return tuple(_coerce(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(key, f"must be true or false, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool):
            raise ConfigError(key, f"must be a number, got {value!r}")
        try:
            return tp(value)
        except (TypeError, ValueError):
            kind = "a whole number" if tp is int else "a number"
            raise ConfigError(key, f"must be {kind}, got {value!r}") from None
    if tp is str:
        if value is None:
            return ""
        if isinstance(value, dict | list):
            raise ConfigError(key, f"must be text, got {type(value).__name__}")
        return str(value)
    return value


def _repo(item: Any, key: str) -> RepoConfig:
    if not isinstance(item, Mapping) or not item.get("name"):
        raise ConfigError(
            key, "must be a mapping with at least 'name' and 'path' (or 'package', or 'git')"
        )
    repo = _build(RepoConfig, item, key)
    if [bool(repo.path), bool(repo.package), bool(repo.git)].count(True) != 1:
        raise ConfigError(key, "needs exactly one of 'path', 'package' or 'git'")
    if not repo.git:
        for name in ("branch", "ref", "refresh", "token_env", "ssh_key", "web_url"):
            if getattr(repo, name):
                raise ConfigError(f"{key}.{name}", "applies to 'git' repositories only")
    if repo.branch and repo.ref:
        raise ConfigError(f"{key}.ref", "pins a commit: a repository follows a branch or a ref")
    if repo.web_url:
        try:
            repo.web_url.format(commit="0" * 40, path="a.py", line=1)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                f"{key}.web_url", "may use only {commit}, {path} and {line} in braces"
            ) from None
    if repo.refresh:
        try:
            duration_seconds(repo.refresh)
        except ValueError as exc:
            raise ConfigError(f"{key}.refresh", str(exc)) from None
    if "allow" in item and not repo.allow:
        raise ConfigError(
            f"{key}.allow",
            "is empty, which would let everyone read it: remove the key for everyone, "
            "or name the groups and users who may",
        )
    return repo


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(text: str) -> float:
    """`90s`, `10m`, `1h`, `1d` (or a number of seconds) in seconds; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match or float(match[1]) <= 0:
        raise ValueError(f"must be a duration such as 30s, 10m or 1h, got {text!r}")
    return float(match[1]) * _UNITS[match[2] or "s"]


def _groups(value: Any, key: str) -> tuple[GroupConfig, ...]:
    groups = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, Mapping) or not item.get("name"):
            raise ConfigError(where, "must name a group and list its members")
        groups.append(_build(GroupConfig, item, where))
    return tuple(groups)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _check(s: Settings) -> None:
    if s.env not in {"development", "production", "test"}:
        raise ConfigError("env", f"must be development, production or test, got {s.env!r}")
    if s.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError("log_level", f"must be DEBUG, INFO, WARNING or ERROR: {s.log_level!r}")
    url = s.storage.database_url
    if not url.startswith(("sqlite://", "postgresql://", "postgres://", "memory://")):
        raise ConfigError(
            "storage.database_url",
            f"must start with sqlite:///, postgresql:// or memory://, got {url!r}",
        )
    if s.storage.database_key and not url.startswith("sqlite://"):
        raise ConfigError(
            "storage.database_key",
            "(DATABASE_KEY) encrypts SQLite databases only; encrypt a PostgreSQL server's disk "
            "with the platform's own encryption instead, and unset it",
        )
    if not 0 < s.nlu.threshold <= 100:
        raise ConfigError("nlu.threshold", f"must be between 0 and 100, got {s.nlu.threshold}")
    if not 0 < s.nlu.learned_confidence <= 1:
        raise ConfigError(
            "nlu.learned_confidence",
            f"must be above 0 and at most 1 (1: off), got {s.nlu.learned_confidence}",
        )
    if s.server.shutdown_grace_seconds < 1:
        raise ConfigError(
            "server.shutdown_grace_seconds",
            f"must be at least 1, got {s.server.shutdown_grace_seconds}",
        )
    if not 1 <= s.server.port <= 65535:
        raise ConfigError("server.port", f"must be a port number (1-65535), got {s.server.port}")
    for key, number in (
        ("limits.rate_limit_per_minute", s.limits.rate_limit_per_minute),
        ("limits.max_body_bytes", s.limits.max_body_bytes),
        ("limits.max_reply_chars", s.limits.max_reply_chars),
        ("storage.retention_days", s.storage.retention_days),
        ("log_file_max_bytes", s.log_file_max_bytes),
        ("cache.answer_ttl_seconds", s.cache.answer_ttl_seconds),
        ("cache.search_ttl_seconds", s.cache.search_ttl_seconds),
        ("cache.memory_max_bytes", s.cache.memory_max_bytes),
        ("cache.memory_max_entries", s.cache.memory_max_entries),
    ):
        if number <= 0:
            raise ConfigError(key, f"must be greater than 0, got {number}")
    if s.limits.max_reply_chars < 100:
        raise ConfigError(
            "limits.max_reply_chars",
            f"must be at least 100 (WhatsApp allows 1600), got {s.limits.max_reply_chars}",
        )
    _check_dashboard(s.dashboard)
    for n, pattern in enumerate(s.secrets.patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"secrets.patterns[{n}]", f"is not a valid regex: {exc}") from None
    names = [r.name for r in s.repos]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError("repos", f"names {dupes[0]!r} more than once; repo names must be unique")
    _check_access(s)


def _check_dashboard(d: DashboardConfig) -> None:
    for key, number in (
        ("dashboard.session_hours", d.session_hours),
        ("dashboard.max_failures", d.max_failures),
        ("dashboard.lockout_minutes", d.lockout_minutes),
    ):
        if number <= 0:
            raise ConfigError(key, f"must be greater than 0, got {number}")
    if d.password and d.password != d.password.strip():
        raise ConfigError(
            "dashboard.password", "has spaces around it: set DASHBOARD_PASSWORD without them"
        )
    names = []
    for n, entry in enumerate(d.users):
        name, _, hashed = entry.partition(":")
        if not name.strip() or not hashed.startswith("scrypt$") or hashed.count("$") != 5:
            raise ConfigError(
                f"dashboard.users[{n}]",
                "must be NAME:scrypt$N$r$p$SALT$HASH; make one with "
                "`python -m bot.web.dashboard.passwords NAME`",
            )
        if name in names:
            raise ConfigError(f"dashboard.users[{n}]", f"names {name!r} more than once")
        names.append(name)


def _check_access(s: Settings) -> None:
    """Every name in `access:` and in the repositories' `allow:` means someone: a typo would
    silently lock a team out of its repository (or let nobody in), so it is refused here."""
    access = s.access
    if access.mode not in {"", "open", "allowlist"}:
        raise ConfigError("access.mode", f"must be open or allowlist, got {access.mode!r}")
    if access.refusal_every_hours <= 0:
        raise ConfigError("access.refusal_every_hours", "must be greater than 0")
    groups = [g.name for g in access.groups]
    for name in groups:
        if groups.count(name) > 1:
            raise ConfigError("access.groups", f"names {name!r} more than once")
        if _looks_like_user(name):
            raise ConfigError(f"access.groups.{name}", "a group name cannot look like a user id")
    people = [("access.users", u) for u in access.users]
    people += [("access.admins", u) for u in access.admins]
    people += [(f"access.groups.{g.name}", u) for g in access.groups for u in g.members]
    for key, user in people:
        _user(key, user)
    for repo in s.repos:
        for entry in repo.allow:
            key = f"repos.{repo.name}.allow"
            if _looks_like_user(entry):
                _user(key, entry)
            elif entry not in groups:
                known = ", ".join(groups) or "none are configured in access.groups"
                raise ConfigError(key, f"names {entry!r}, which is not a group; groups: {known}")


def _looks_like_user(entry: str) -> bool:
    return entry.strip().startswith("+") or ":" in entry


def _user(key: str, value: str) -> str:
    try:
        return user_key(value)
    except ValueError as exc:
        raise ConfigError(key, str(exc)) from None


def _with_access_mode(s: Settings) -> Settings:
    """`access.mode` left empty: allowlist in production, open elsewhere. Every user entry
    in its normalised form (the form senders arrive in)."""
    access = s.access
    mode = access.mode or ("allowlist" if s.production else "open")
    groups = tuple(
        dataclasses.replace(g, members=tuple(_user("", m) for m in g.members))
        for g in access.groups
    )
    access = dataclasses.replace(
        access,
        mode=mode,
        users=tuple(_user("", u) for u in access.users),
        admins=tuple(_user("", u) for u in access.admins),
        groups=groups,
    )
    repos = tuple(
        dataclasses.replace(
            r, allow=tuple(_user("", a) if _looks_like_user(a) else a for a in r.allow)
        )
        for r in s.repos
    )
    return dataclasses.replace(s, access=access, repos=repos)
