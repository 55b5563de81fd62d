"""What BOT_ENV=production refuses to start without: each refusal names the setting to fix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Settings
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


def _slack(secret: str, token: str) -> None:
    """Slack is on with both or off with neither: one alone is a deployment mistake."""
    if bool(secret.strip()) == bool(token.strip()):
        return
    missing = "slack.bot_token" if secret.strip() else "slack.signing_secret"
    variable = "SLACK_BOT_TOKEN" if secret.strip() else "SLACK_SIGNING_SECRET"
    raise ConfigError(
        missing,
        f"is empty while the other Slack setting is set, so Slack would stay off: set "
        f"{variable} (the app's page on api.slack.com, docs/channels.md), or neither",
    )


def _teams(app_id: str, password: str) -> None:
    """Teams likewise: an app id without its password (or the reverse) leaves it off."""
    if bool(app_id.strip()) == bool(password.strip()):
        return
    missing = "teams.app_password" if app_id.strip() else "teams.app_id"
    variable = "TEAMS_APP_PASSWORD" if app_id.strip() else "TEAMS_APP_ID"
    raise ConfigError(
        missing,
        f"is empty while the other Teams setting is set, so Teams would stay off: set "
        f"{variable} (the Azure Bot's Configuration page, docs/channels.md), or neither",
    )
