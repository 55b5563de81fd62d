"""The answer cache in front of the real router and SDKs (local fake provider): what is reused,
what is asked again, and that instances share through Redis."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.cache import MemoryBackend, SharedCache
from bot.cache.redis_backend import RedisBackend
from bot.config import CacheConfig, settings_from_mapping
from bot.llm.base import Message, Task
from bot.llm.cache import AnswerCache
from bot.llm.router import LLMRouter
from bot.search.service import SearchService
from tests.conftest import REDIS_URL
from tests.llm.conftest import ROOT, llm_settings
from tests.llm.fakes import Fail, FakeLLM, Reply

MakeRouter = Callable[..., LLMRouter]


def ask(question: str, *, history: tuple[Message, ...] = (), spent: float = 0.0) -> Task:
    return Task(
        prompt="answer",
        variables={"question": question, "repo": "tiny"},
        snippets=("loader.py:1\n1 def load_template(name):",),
        history=history,
        fallback="Best match: loader.py:1",
        spent_today_usd=spent,
    )


@pytest.fixture
async def search(tmp_path: Path) -> AsyncIterator[SearchService]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "loader.py").write_text("def load_template(name):\n    return open(name).read()\n")
    settings = settings_from_mapping(
        {"repos": [{"name": "tiny", "path": "repo"}], "search": {"index_dir": "index"}},
        base_dir=tmp_path,
    )
    service = SearchService.from_settings(settings, watch_changes=False)
    await service.index()
    yield service
    await service.close()


def memory_cache() -> SharedCache:
    return SharedCache(MemoryBackend(max_bytes=1_000_000, max_entries=100), config=CacheConfig())


def cached(router: LLMRouter, search: SearchService, cache: SharedCache) -> LLMRouter:
    router.use_cache(
        AnswerCache(cache, template_version=router.prompts.version, index_version=search.version)
    )
    return router


async def test_the_same_question_again_is_answered_from_the_cache(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService
) -> None:
    fake_llm.then(Reply("Templates are read by load_template (loader.py:1)."))
    router = cached(make_router(llm_settings(fake_llm)), search, memory_cache())

    first = await router.complete(ask("How are templates loaded?"))
    again = await router.complete(ask("  how are TEMPLATES loaded "))

    assert len(fake_llm.requests) == 1
    assert again.text == first.text == "Templates are read by load_template (loader.py:1)."
    assert (first.cached, again.cached) == (False, True)
    assert first.cost_usd > 0 and again.cost_usd == 0 and again.tokens_in == 0
    assert (again.provider, again.model) == ("openai", "gpt-4o-mini")  # who answered it first
    assert again.meta()["cached"] is True


async def test_a_changed_file_in_the_repository_asks_the_model_again(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService, tmp_path: Path
) -> None:
    fake_llm.then(Reply("Before the change."), Reply("After the change."))
    router = cached(make_router(llm_settings(fake_llm)), search, memory_cache())
    assert (await router.complete(ask("how are templates loaded?"))).text == "Before the change."

    (tmp_path / "repo" / "loader.py").write_text("def load_template(name, cache):\n    ...\n")
    await search.index()

    assert (await router.complete(ask("how are templates loaded?"))).text == "After the change."
    assert len(fake_llm.requests) == 2


async def test_an_edited_prompt_template_asks_the_model_again(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    fake_llm.then(Reply("With the old template."), Reply("With the new template."))
    settings = llm_settings(fake_llm)
    settings = dataclasses.replace(
        settings, flows=dataclasses.replace(settings.flows, prompts_dir=str(prompts))
    )
    router = cached(make_router(settings), search, memory_cache())
    await router.complete(ask("how are templates loaded?"))

    with (prompts / "answer.j2").open("a") as template:
        template.write("\nAnswer in one sentence.\n")

    done = await router.complete(ask("how are templates loaded?"))
    assert done.text == "With the new template." and not done.cached
    assert "Answer in one sentence." in fake_llm.requests[1].prompt_text


async def test_a_follow_up_after_another_question_is_not_someone_elses_answer(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService
) -> None:
    fake_llm.then(Reply("About loaders."), Reply("About caching."))
    router = cached(make_router(llm_settings(fake_llm)), search, memory_cache())
    after_loaders = (Message("user", "how are templates loaded?"), Message("assistant", "..."))
    after_caching = (Message("user", "is the bytecode cached?"), Message("assistant", "..."))

    first = await router.complete(ask("and where is it tested?", history=after_loaders))
    other = await router.complete(ask("and where is it tested?", history=after_caching))

    assert (first.text, other.text) == ("About loaders.", "About caching.")
    assert len(fake_llm.requests) == 2


async def test_local_answers_are_not_kept_so_a_recovered_model_answers_next_time(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService
) -> None:
    fake_llm.then(Fail(400), Fail(400), Reply("The model is back."))
    settings = llm_settings(fake_llm, chain=("openai", "anthropic", "local"))
    router = cached(make_router(settings, cooldown_seconds=0.0), search, memory_cache())

    down = await router.complete(ask("how are templates loaded?"))
    back = await router.complete(ask("how are templates loaded?"))

    assert down.provider == "local" and not down.cached
    assert back.text == "The model is back." and not back.cached


async def test_an_answer_already_paid_for_is_given_past_the_daily_budget(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService
) -> None:
    fake_llm.then(Reply("Paid for once."))
    router = cached(make_router(llm_settings(fake_llm)), search, memory_cache())
    await router.complete(ask("how are templates loaded?"))

    over = await router.complete(ask("how are templates loaded?", spent=99.0))
    fresh = await router.complete(ask("what does the loader return?", spent=99.0))

    assert (over.text, over.cached) == ("Paid for once.", True)
    assert fresh.provider == "local" and fresh.local_reason == "budget"
    assert len(fake_llm.requests) == 1


async def test_a_second_instance_answers_from_what_the_first_cached_in_redis(
    fake_llm: FakeLLM, make_router: MakeRouter, search: SearchService, redis_prefix: str
) -> None:
    fake_llm.then(Reply("Cached by the first instance."))
    config = CacheConfig(key_prefix=redis_prefix, answer_ttl_seconds=60)
    caches = [SharedCache(RedisBackend(Redis.from_url(REDIS_URL)), config=config) for _ in range(2)]
    first = cached(make_router(llm_settings(fake_llm)), search, caches[0])
    second = cached(make_router(llm_settings(fake_llm)), search, caches[1])
    try:
        await first.complete(ask("How are templates loaded?"))
        done = await second.complete(ask("how are templates loaded"))
    finally:
        for cache in caches:
            await cache.aclose()

    assert (done.text, done.cached) == ("Cached by the first instance.", True)
    assert len(fake_llm.requests) == 1
    assert caches[1].stats["answer"].hits == 1
