"""What BOT_ENV=production refuses to start without: each refusal names the setting to fix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Settings, SlackConfig, TeamsConfig
from bot.errors import ConfigError

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


def check_production(settings: Settings) -> None:
    """ConfigError for the first production setting that would leave the service open."""
    if not settings.production:
        return
    _auth_token(settings.twilio.auth_token)
    _public_base_url(settings.server.public_base_url)
    if settings.twilio.rest_delivery:
        _account_sid(settings.twilio.account_sid)
    _slack(settings.slack.signing_secret, settings.slack.bot_token)
    _teams(settings.teams.app_id, settings.teams.app_password)
    _real_services(settings)


def _real_services(settings: Settings) -> None:
    """The addresses that decide who is believed (Bot Framework's keys and issuer) or where
    tokens and replies go (Entra, Slack's API) stay Microsoft's and Slack's own: an override
    is for tests (BOT_ENV=test) and would hand the bot's trust, or its tokens, elsewhere."""
    teams, slack = TeamsConfig(), SlackConfig()
    overrides = (
        (
            "teams.openid_metadata_url",
            settings.teams.openid_metadata_url,
            teams.openid_metadata_url,
            "BOT_TEAMS__OPENID_METADATA_URL",
        ),
        ("teams.issuer", settings.teams.issuer, teams.issuer, "BOT_TEAMS__ISSUER"),
        ("teams.token_url", settings.teams.token_url, teams.token_url, "BOT_TEAMS__TOKEN_URL"),
        (
            "slack.api_base_url",
            settings.slack.api_base_url,
            slack.api_base_url,
            "SLACK_API_BASE_URL",
        ),
    )
    for name, value, default, variable in overrides:
        if value != default:
            raise ConfigError(
                name,
                f"is {value!r}, not the service's own address, and BOT_ENV=production "
                f"refuses it: it decides which tokens are believed or where the bot's tokens "
                f"and replies go. Unset {variable} (overrides are for BOT_ENV=test)",
            )


def _auth_token(token: str) -> None:
    if not token.strip():
        raise ConfigError(
            "twilio.auth_token",
            "is empty or blank, and BOT_ENV=production refuses to accept unsigned webhooks: "
            "set TWILIO_AUTH_TOKEN to your Twilio account's Auth Token",
        )
    if token != token.strip():
        raise ConfigError(
            "twilio.auth_token",
            "has spaces around it, so no Twilio signature would ever match: "
            "set TWILIO_AUTH_TOKEN without them",
        )


def _public_base_url(url: str) -> None:
    if not url:
        raise ConfigError(
            "server.public_base_url",
            "is empty, and BOT_ENV=production needs it to check Twilio signatures: set "
            "PUBLIC_BASE_URL to the https URL Twilio calls (e.g. https://codechat.fly.dev)",
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            "server.public_base_url",
            f"is {url!r}, and BOT_ENV=production needs an https:// address: over plain http "
            "the messages and their signatures cross the network readable. Set PUBLIC_BASE_URL "
            "to the https URL Twilio calls (e.g. https://codechat.fly.dev)",
        )


def _account_sid(sid: str) -> None:
    if not _ACCOUNT_SID.fullmatch(sid):
        problem = "is empty" if not sid.strip() else f"is {sid[:8]!r}..., not AC and 32 hex digits"
        raise ConfigError(
            "twilio.account_sid",
            f"{problem}, and BOT_ENV=production with REST delivery on needs it to send replies "
            "that take longer than the reply budget, and state timeouts: set TWILIO_ACCOUNT_SID "
            "(AC followed by 32 hex digits, on the Twilio console), or answer only inside the "
            "webhook with BOT_TWILIO__REST_DELIVERY=false",
        )


def _pair(
    channel: str, first: tuple[str, str, str], second: tuple[str, str, str], where: str
) -> None:
    """A channel's two settings ((key, variable, value) each) are both set or neither: one
    alone is a deployment mistake that would leave the channel off."""
    (key1, var1, value1), (key2, var2, value2) = first, second
    if bool(value1.strip()) == bool(value2.strip()):
        return
    missing, variable = (key2, var2) if value1.strip() else (key1, var1)
    raise ConfigError(
        missing,
        f"is empty while the other {channel} setting is set, so {channel} would stay off: set "
        f"{variable} ({where}, docs/channels.md), or neither",
    )


def _slack(secret: str, token: str) -> None:
    _pair(
        "Slack",
        ("slack.signing_secret", "SLACK_SIGNING_SECRET", secret),
        ("slack.bot_token", "SLACK_BOT_TOKEN", token),
        "the app's page on api.slack.com",
    )


def _teams(app_id: str, password: str) -> None:
    _pair(
        "Teams",
        ("teams.app_id", "TEAMS_APP_ID", app_id),
        ("teams.app_password", "TEAMS_APP_PASSWORD", password),
        "the Azure Bot's Configuration page",
    )
