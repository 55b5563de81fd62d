"""LLM settings that cannot work are refused at start, naming the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.llm.router import LLMRouter
from tests.llm.conftest import ROOT, llm_settings

MakeRouter = Callable[..., LLMRouter]


@pytest.mark.parametrize(
    ("llm", "key"),
    [
        ({"chain": ["openai", "gemini", "local"]}, "llm.chain"),
        ({"timeout_seconds": 0}, "llm.timeout_seconds"),
        ({"attempts": 0}, "llm.attempts"),
        ({"openai": {"max_context_tokens": 500, "max_output_tokens": 800}}, "llm.openai."),
    ],
)
def test_unworkable_settings_name_the_key(make_router: MakeRouter, llm: dict[str, Any], key: str):
    chain = tuple(llm.pop("chain", ("openai", "anthropic", "local")))
    with pytest.raises(ConfigError, match=f"Config '{key}"):
        make_router(llm_settings(None, chain=chain, **llm))


def test_a_key_from_the_environment_is_enough(make_router: MakeRouter):
    from bot.config import load_settings

    settings = load_settings(
        ROOT / "config.yaml", environ={"ANTHROPIC_API_KEY": "sk-ant-env-123456"}, read_dotenv=False
    )
    status = make_router(settings).status()
    assert status["providers"]["anthropic"]["configured"] is True
    assert status["providers"]["openai"]["configured"] is False


def test_a_base_url_alone_enables_an_openai_compatible_local_server(make_router: MakeRouter):
    settings = llm_settings(
        None, openai={"base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1:8b"}
    )
    status = make_router(settings).status()["providers"]["openai"]
    assert status["configured"] and status["model"] == "llama3.1:8b"
    assert status["tokenizer"] == "o200k_base (approximate)"
