"""Which providers a configuration asks for, and which values must never reach a prompt."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from bot.config import ProviderConfig, Settings
from bot.errors import ConfigError
from bot.llm.base import Provider

REMOTE = ("openai", "anthropic")
# Used when config names a provider without a model (a partial `llm.openai:` section).
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSW", re.IGNORECASE)


def configured(settings: Settings) -> list[tuple[str, ProviderConfig]]:
    """(name, config) for each provider in ``llm.chain`` before ``local`` that can be called:
    it has an API key, or (OpenAI-compatible local servers) a base_url."""
    found = []
    for name in settings.llm.chain:
        if name == "local":
            break
        if name not in REMOTE:
            raise ConfigError("llm.chain", f"names {name!r}; use openai, anthropic or local")
        config: ProviderConfig = getattr(settings.llm, name)
        if not config.model:
            config = dataclasses.replace(config, model=DEFAULT_MODELS[name])
        if config.api_key or (name == "openai" and config.base_url):
            found.append((name, config))
    return found


def make_provider(name: str, config: ProviderConfig) -> Provider:
    if name == "openai":
        from bot.llm.openai import OpenAIProvider

        return OpenAIProvider(config=config)
    from bot.llm.anthropic import AnthropicProvider

    return AnthropicProvider(config=config)


def secrets(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """Keys and tokens from the settings and the environment, to be redacted from prompts."""
    values = [
        settings.llm.openai.api_key,
        settings.llm.anthropic.api_key,
        settings.twilio.auth_token,
        settings.search.embedding_api_key,
    ]
    return values + [v for k, v in environ.items() if _SECRET_ENV.search(k)]
