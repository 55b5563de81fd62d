"""The router against the real SDKs talking to a local fake: answers, retries, fallbacks."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry

from bot.llm.base import ChatRequest, Message, ProviderReply, Task
from bot.llm.prompts import PromptLibrary
from bot.llm.router import LLMRouter
from tests.llm.conftest import Sleeps, llm_settings
from tests.llm.fakes import Fail, FakeLLM, Hang, Malformed, Reply, WrongShape

MakeRouter = Callable[..., LLMRouter]
TASK = Task(
    prompt="answer",
    variables={"question": "how are templates loaded?", "repo": "jinja2"},
    snippets=("loaders.py:10-12\n10 def get_source(self, environment, template):",),
    fallback="Best matches: loaders.py:10",
)


async def test_openai_answers_through_the_real_sdk(fake_llm: FakeLLM, make_router: MakeRouter):
    fake_llm.then(Reply("Templates come from a loader (loaders.py:10)."))
    router = make_router(llm_settings(fake_llm))

    done = await router.complete(TASK)

    assert done.text == "Templates come from a loader (loaders.py:10)."
    assert (done.provider, done.model, done.attempts) == ("openai", "gpt-4o-mini", 1)
    sent = fake_llm.requests[0]
    assert sent.api == "openai" and sent.headers["Authorization"] == "Bearer sk-test-openai-0000"
    assert sent.body["messages"][0]["role"] == "system"
    assert "how are templates loaded?" in sent.body["messages"][-1]["content"]
    assert done.tokens_in > 0 and done.cost_usd > 0
    assert done.prompt_tokens_counted > 0 and done.tokens_exact


async def test_anthropic_answers_in_its_own_format(fake_llm: FakeLLM, make_router: MakeRouter):
    fake_llm.then(Reply("From anthropic."))
    router = make_router(llm_settings(fake_llm, chain=("anthropic", "local")))

    done = await router.complete(TASK)

    assert (done.text, done.provider) == ("From anthropic.", "anthropic")
    sent = fake_llm.requests[0]
    assert sent.api == "anthropic" and "anthropic-version" in sent.headers
    # This SDK release sends the key as a bearer token; older ones used x-api-key.
    auth = sent.headers.get("x-api-key") or sent.headers.get("Authorization", "")
    assert auth.endswith("sk-ant-test-0000")
    assert "code assistant" in sent.body["system"]
    assert [m["role"] for m in sent.body["messages"]] == ["user"]


async def test_429_waits_as_long_as_retry_after_says(
    fake_llm: FakeLLM, make_router: MakeRouter, sleeps: Sleeps
):
    fake_llm.then(Fail(429, retry_after="2"), Reply("second time lucky"))
    router = make_router(llm_settings(fake_llm))

    done = await router.complete(TASK)

    assert (done.text, done.provider, done.attempts) == ("second time lucky", "openai", 2)
    assert sleeps.delays == [2.0]


async def test_500s_back_off_exponentially_with_jitter(
    fake_llm: FakeLLM, make_router: MakeRouter, sleeps: Sleeps
):
    fake_llm.then(Fail(500), Fail(503), Reply("ok at last"))
    router = make_router(llm_settings(fake_llm), backoff_base=0.2)

    done = await router.complete(TASK)

    assert (done.text, done.attempts) == ("ok at last", 3)
    # Equal jitter with rand=0.5: three quarters of 0.2 * 2**(n-1).
    assert sleeps.delays == [0.15000000000000002, 0.30000000000000004]
    assert len(done.errors) == 2 and "HTTP 500" in done.errors[0]


async def test_malformed_json_is_retried(fake_llm: FakeLLM, make_router: MakeRouter):
    fake_llm.then(Malformed(), Reply("clean answer"))
    done = await make_router(llm_settings(fake_llm)).complete(TASK)
    assert (done.text, done.attempts) == ("clean answer", 2)
    assert "malformed JSON" in done.errors[0]


async def test_three_failures_fall_back_to_the_next_provider(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(Fail(500), Fail(500), Fail(500), Reply("anthropic saves the day"))
    done = await make_router(llm_settings(fake_llm)).complete(TASK)
    assert (done.text, done.provider, done.attempts) == ("anthropic saves the day", "anthropic", 4)
    assert [r.api for r in fake_llm.requests] == ["openai"] * 3 + ["anthropic"]


async def test_a_hanging_provider_is_left_within_the_timeout(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(Hang(5), Reply("anthropic was quick"))
    router = make_router(llm_settings(fake_llm, timeout_seconds=0.4))

    started = time.perf_counter()
    done = await router.complete(TASK)
    elapsed = time.perf_counter() - started

    assert (done.text, done.provider) == ("anthropic was quick", "anthropic")
    assert elapsed < 0.4 + 1.0
    assert "no answer within" in done.errors[0]


async def test_a_provider_that_is_down_falls_back(fake_llm: FakeLLM, make_router: MakeRouter):
    settings = llm_settings(fake_llm, openai={"base_url": "http://127.0.0.1:9/v1"})
    done = await make_router(settings).complete(TASK)
    assert done.provider == "anthropic"
    assert "cannot connect" in done.errors[0]


async def test_an_auth_error_is_not_retried(fake_llm: FakeLLM, make_router: MakeRouter):
    fake_llm.then(Fail(401, message="invalid api key"), Reply("from anthropic"))
    done = await make_router(llm_settings(fake_llm)).complete(TASK)
    assert done.provider == "anthropic"
    assert [r.api for r in fake_llm.requests] == ["openai", "anthropic"]


async def test_retry_after_past_the_deadline_moves_on_at_once(
    fake_llm: FakeLLM, make_router: MakeRouter, sleeps: Sleeps
):
    fake_llm.then(Fail(429, retry_after="120"), Reply("anthropic"))
    done = await make_router(llm_settings(fake_llm)).complete(TASK)
    assert done.provider == "anthropic" and sleeps.delays == []


async def test_everything_failing_still_answers_locally_and_says_so(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(*[Fail(500)] * 6)
    router = make_router(llm_settings(fake_llm))
    done = await router.complete(TASK)
    assert done.provider == "local" and done.local_reason == "failed"
    # The user gets the local answer alone; why is said to operators (/health, the turn's meta).
    assert done.text == "Best matches: loaders.py:10"
    status = router.status()
    assert status["state"] == "degraded"
    assert "HTTP 500" in status["providers"]["openai"]["last_error"]
    assert done.meta()["local_reason"] == "failed"
    assert len(done.errors) == 6


async def test_no_keys_means_local_mode_without_any_request(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    router = make_router(llm_settings(None))
    done = await router.complete(TASK)
    assert (done.provider, done.local_reason) == ("local", "no_provider")
    assert done.text == "Best matches: loaders.py:10"  # no operator note in the chat
    assert router.status()["state"] == "local_only"  # /health says it instead
    assert fake_llm.requests == []


async def test_a_spent_budget_answers_locally(fake_llm: FakeLLM, make_router: MakeRouter):
    router = make_router(llm_settings(fake_llm, daily_budget_usd=0.01))
    task = Task(prompt="answer", variables=TASK.variables, fallback="local", spent_today_usd=0.02)
    done = await router.complete(task)
    assert (done.provider, done.local_reason) == ("local", "budget")
    # The user's own budget is theirs to know: said under the local answer.
    assert done.text == (
        "local\n\n_(today's language-model budget for you is used up, so this answer is "
        "built from search results.)_"
    )
    assert fake_llm.requests == []


async def test_a_failed_provider_is_skipped_for_a_while(fake_llm: FakeLLM, make_router: MakeRouter):
    fake_llm.then(Fail(401), Reply("anthropic 1"), Reply("anthropic 2"))
    router = make_router(llm_settings(fake_llm))

    await router.complete(TASK)
    second = await router.complete(TASK)

    assert second.provider == "anthropic" and "skipped" in second.errors[0]
    assert [r.api for r in fake_llm.requests] == ["openai", "anthropic", "anthropic"]
    status = router.status()
    assert status["state"] == "ok"  # anthropic still answers
    assert status["providers"]["openai"]["healthy"] is False
    assert status["providers"]["anthropic"]["healthy"] is True
    assert status["providers"]["local"] == {"configured": True, "healthy": True}


async def test_status_shows_what_is_configured(make_router: MakeRouter):
    status = make_router(llm_settings(None)).status()
    assert status["state"] == "local_only"
    assert status["chain"] == ["openai", "anthropic", "local"]
    assert status["providers"]["openai"]["configured"] is False
    assert status["providers"]["openai"]["model"] == "gpt-4o-mini"


async def test_usage_reaches_prometheus(fake_llm: FakeLLM, make_router: MakeRouter):
    registry = CollectorRegistry()
    router = make_router(llm_settings(fake_llm))
    router.attach_metrics(registry)
    fake_llm.then(Fail(500), Reply("fine"))

    await router.complete(TASK)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("bot_llm_calls_total", provider="openai", purpose="answer", outcome="ok") == 1
    assert value("bot_llm_attempt_errors_total", provider="openai", kind="500") == 1
    assert (value("bot_llm_tokens_total", provider="openai", direction="in") or 0) > 0
    assert value("bot_llm_latency_seconds_count", provider="openai") == 1
    assert router.ledger.summary()["openai"]["calls"] == 1


async def test_a_broken_prompt_still_answers_locally(
    fake_llm: FakeLLM, make_router: MakeRouter, tmp_path
):
    (tmp_path / "system.j2").write_text("You help with {{ repo }}.")
    (tmp_path / "answer.j2").write_text("{{ question }} {{ not_passed }}")
    settings = llm_settings(fake_llm)
    settings = dataclasses.replace(
        settings, flows=dataclasses.replace(settings.flows, prompts_dir=str(tmp_path))
    )
    done = await make_router(settings).complete(TASK)
    assert done.provider == "local" and done.local_reason == "prompt_error"
    assert "Best matches: loaders.py:10" in done.text and fake_llm.requests == []
    assert "'not_passed' is undefined" in done.errors[0]


class ScriptedProvider:
    """A provider with no settings of its own (like the recorded one conversation tests use)."""

    name = "recorded"
    model = "recorded-model"

    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        return ProviderReply("scripted", self.model, 10, 2)

    async def aclose(self) -> None:
        return None


async def test_any_provider_speaking_the_protocol_can_be_routed_to(make_router: MakeRouter):
    settings = llm_settings(None)
    router = LLMRouter(
        config=settings.llm,
        providers=[ScriptedProvider()],
        prompts=PromptLibrary(settings.path(settings.flows.prompts_dir)),
    )
    done = await router.complete(TASK)
    assert (done.text, done.provider, done.cost_usd) == ("scripted", "recorded", 0.0)
    assert router.status()["providers"]["recorded"]["healthy"] is True


async def test_history_reaches_anthropic_alternating_and_starting_with_the_user(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(Reply("ok"))
    history = (
        Message("assistant", "Welcome!"),
        Message("user", "hi"),
        Message("user", "anyone there?"),
        Message("assistant", "Yes."),
    )
    task = dataclasses.replace(TASK, history=history)
    await make_router(llm_settings(fake_llm, chain=("anthropic",))).complete(task)

    messages = fake_llm.requests[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    merged = messages[0]["content"]  # two user turns in one, each fenced as data
    assert re.fullmatch(
        r"<<<message (\w{12})>>>\nhi\n<<<end message \1>>>\n\n"
        r"<<<message (\w{12})>>>\nanyone there\?\n<<<end message \2>>>",
        merged,
    )


@pytest.mark.parametrize("chain", [("openai", "local"), ("anthropic", "local")])
async def test_json_of_the_wrong_shape_is_retried(
    fake_llm: FakeLLM, make_router: MakeRouter, chain: tuple[str, ...]
):
    fake_llm.then(WrongShape(), Reply("proper answer"))
    done = await make_router(llm_settings(fake_llm, chain=chain)).complete(TASK)
    assert (done.text, done.attempts) == ("proper answer", 2)
    assert "answered without" in done.errors[0]


class CrashingProvider(ScriptedProvider):
    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        raise KeyError("a bug")


async def test_a_crashing_provider_still_leaves_the_user_an_answer(
    caplog: pytest.LogCaptureFixture,
):
    settings = llm_settings(None)
    router = LLMRouter(
        config=settings.llm,
        providers=[CrashingProvider()],
        prompts=PromptLibrary(settings.path(settings.flows.prompts_dir)),
    )
    done = await router.complete(TASK)
    assert done.provider == "local" and "Best matches" in done.text
    assert done.attempts == 1 and "KeyError" in done.errors[0]
    assert "llm.provider_crashed" in caplog.text
