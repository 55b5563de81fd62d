from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import Settings, settings_from_mapping
from bot.llm.router import LLMRouter
from tests.conftest import scratch_index_dir
from tests.llm.fakes import FakeLLM

ROOT = Path(__file__).resolve().parents[2]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def fake_llm(aiohttp_server: ServerFactory) -> FakeLLM:
    """A local server speaking /v1/chat/completions and /v1/messages."""
    fake = FakeLLM()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


def llm_settings(
    fake: FakeLLM | None, *, chain: tuple[str, ...] = ("openai", "anthropic", "local"), **llm: Any
) -> Settings:
    """Settings whose providers point at ``fake`` (or have no keys when it is None)."""
    providers: dict[str, Any] = {}
    if fake is not None:
        providers = {
            "openai": {
                "api_key": "sk-test-openai-0000",
                "base_url": fake.openai_base_url,
                "price_in_per_mtok": 0.15,
                "price_out_per_mtok": 0.6,
            },
            "anthropic": {
                "api_key": "sk-ant-test-0000",
                "base_url": fake.anthropic_base_url,
                "price_in_per_mtok": 0.8,
                "price_out_per_mtok": 4.0,
            },
        }
    for name in ("openai", "anthropic"):
        providers.setdefault(name, {}).update(llm.pop(name, {}))
    data = {
        "flows": {"prompts_dir": str(ROOT / "prompts")},
        # Generous under a loaded CI machine: these tests are about answers, not search speed.
        "search": {"regex_timeout_seconds": 10, "index_dir": scratch_index_dir()},
        "llm": {"chain": list(chain), "timeout_seconds": 5, **providers, **llm},
    }
    return settings_from_mapping(data, base_dir=ROOT)


class Sleeps:
    """Records the backoff delays the router asks for, and waits only a moment."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_router(sleeps: Sleeps) -> AsyncIterator[Callable[..., LLMRouter]]:
    made: list[LLMRouter] = []

    def make(settings: Settings, **kwargs: Any) -> LLMRouter:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("rand", lambda: 0.5)
        router = LLMRouter.from_settings(settings, **kwargs)
        made.append(router)
        return router

    yield make
    for router in made:
        await router.aclose()
