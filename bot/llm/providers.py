"""Which providers a configuration asks for, and which values must never reach a prompt."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.config import LLMConfig, ProviderConfig, Settings
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.llm.base import Provider

REMOTE = ("openai", "anthropic")
# Used when config names a provider without a model (a partial `llm.openai:` section).
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSW", re.IGNORECASE)


def check(config: LLMConfig) -> None:
    """ConfigError for values the router cannot work with, naming the key and what to do."""
    for name in config.chain:
        if name not in (*REMOTE, "local"):
            raise ConfigError("llm.chain", f"names {name!r}; use openai, anthropic or local")
    if config.timeout_seconds <= 0:
        raise ConfigError("llm.timeout_seconds", f"must be above 0, got {config.timeout_seconds}")
    if config.attempts < 1:
        raise ConfigError("llm.attempts", f"must be at least 1, got {config.attempts}")
    if config.max_snippets < 0 or config.max_snippet_chars < 1:
        raise ConfigError("llm.max_snippets", "and llm.max_snippet_chars must be positive")
    for name in REMOTE:
        window: ProviderConfig = getattr(config, name)
        if window.max_output_tokens < 1 or window.max_context_tokens <= window.max_output_tokens:
            raise ConfigError(
                f"llm.{name}.max_context_tokens",
                f"({window.max_context_tokens}) must exceed max_output_tokens "
                f"({window.max_output_tokens}), which must be at least 1",
            )


def configured(settings: Settings) -> list[tuple[str, ProviderConfig]]:
    """(name, config) for each provider in ``llm.chain`` before ``local`` that can be called:
    it has an API key, or (OpenAI-compatible local servers) a base_url."""
    check(settings.llm)
    found = []
    for name in settings.llm.chain:
        if name == "local":
            break
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
    for url in (settings.storage.database_url, settings.storage.redis_url):
        with contextlib.suppress(ValueError):
            values.append(urllib.parse.urlsplit(url).password or "")
    return values + [v for k, v in environ.items() if _SECRET_ENV.search(k)]
