"""The one entry point for language-model calls: chain, retries, fallback, budget, bookkeeping.

For each provider in ``llm.chain`` (skipping those not configured or cooling down after a failure):
up to ``attempts`` tries sharing one deadline of ``timeout_seconds``, with backoff and jitter on
429, 5xx, timeouts and dropped connections (Retry-After honoured when it fits in the deadline);
then the next provider; then local mode, which answers from the task's ``fallback`` and says that
no language model was used. ``complete`` never raises for a provider's failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.config import LLMConfig, ProviderConfig, Settings
from bot.errors import LLMError, ProviderError
from bot.llm.backoff import backoff_delay
from bot.llm.base import Completion, Provider, Task
from bot.llm.cache import AnswerCache
from bot.llm.health import Health, describe
from bot.llm.local import with_note
from bot.llm.prompts import PromptLibrary
from bot.llm.providers import configured, make_provider, secrets
from bot.llm.request import Prepared, prepare
from bot.llm.tokens import TokenCounter
from bot.llm.usage import LLMMetrics, UsageLedger, cost_usd
from bot.secrets import SecretMasker

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)


class LLMRouter:
    def __init__(
        self,
        *,
        config: LLMConfig,
        providers: Sequence[Provider],
        prompts: PromptLibrary,
        ledger: UsageLedger | None = None,
        metrics: LLMMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        cooldown_seconds: float = 30.0,
    ) -> None:
        self.config = config
        self.providers = tuple(providers)
        self.prompts = prompts
        self.ledger = ledger or UsageLedger()
        self.metrics = metrics
        self._clock, self._sleep, self._rand = clock, sleep, rand
        self._backoff = (backoff_base, backoff_cap)
        self._cooldown = cooldown_seconds
        self._health = {p.name: Health() for p in self.providers}
        self._counters = {p.name: TokenCounter.for_model(p.name, p.model) for p in self.providers}
        self.cache: AnswerCache | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, registry: CollectorRegistry | None = None, **kwargs: Any
    ) -> LLMRouter:
        """Providers for every configured name in ``llm.chain``, up to ``local``."""
        providers = [make_provider(name, config) for name, config in configured(settings)]
        prompts = PromptLibrary(
            settings.path(settings.flows.prompts_dir),
            redact=secrets(settings, os.environ),
            masker=SecretMasker.from_config(settings.secrets),
        )
        metrics = LLMMetrics(registry) if registry is not None else None
        return cls(
            config=settings.llm, providers=providers, prompts=prompts, metrics=metrics, **kwargs
        )

    def use_cache(self, cache: AnswerCache | None) -> None:
        """Answer from ``cache`` what was answered before, and keep what models answer."""
        self.cache = cache

    async def complete(self, task: Task) -> Completion:
        started = self._clock()
        key = None
        if self.cache is not None:
            # Before the budget check: an answer already paid for is free to give again.
            key = await self.cache.key(task, [f"{p.name}:{p.model}" for p in self.providers])
            hit = await self.cache.get(key) if key is not None else None
            if hit is not None:
                done = dataclasses.replace(hit, latency_ms=(self._clock() - started) * 1000)
                self._log(task, done)
                return done
        completion = await self._complete(task, started)
        if key is not None and self.cache is not None:
            await self.cache.put(key, completion)
        return completion

    async def _complete(self, task: Task, started: float) -> Completion:
        attempts, errors = 0, []
        reason = "no_provider" if not self.providers else "failed"
        budget = self.config.daily_budget_usd
        if self.providers and budget > 0 and task.spent_today_usd >= budget:
            reason = "budget"
        else:
            for provider in self.providers:
                health = self._health[provider.name]
                if health.cool_until > started:
                    errors.append(f"{provider.name}: skipped, failing ({health.last_error})")
                    continue
                try:
                    prepared = prepare(
                        task,
                        self._window(provider),
                        self.prompts,
                        self._counters[provider.name],
                    )
                except LLMError as exc:  # a broken or missing template: no model can be asked
                    log.error("llm.prompt_error", extra={"fields": {"error": str(exc)}})
                    errors.append(str(exc))
                    reason = "prompt_error"
                    break
                done = await self._try(provider, prepared, errors)
                attempts += done[1]
                if done[0] is not None:
                    return self._finish(task, done[0], started, attempts, errors)
        completion = Completion(
            text=with_note(task.fallback, reason) if task.fallback else "",
            provider="local",
            model="local",
            latency_ms=(self._clock() - started) * 1000,
            attempts=attempts,
            local_reason=reason,
            errors=tuple(errors),
        )
        self._record(task, completion)
        return completion

    async def _try(
        self, provider: Provider, prepared: Prepared, errors: list[str]
    ) -> tuple[Completion | None, int]:
        """Attempts on one provider within its deadline: (completion or None, attempts made)."""
        deadline = self._clock() + self.config.timeout_seconds
        last: ProviderError | None = None
        attempt = 0
        for attempt in range(1, max(1, self.config.attempts) + 1):
            remaining = deadline - self._clock()
            sent = self._clock()
            try:
                async with asyncio.timeout(remaining):
                    reply = await provider.complete(prepared.request, time_limit=remaining)
                if not reply.text:
                    raise ProviderError(provider.name, "answered with no text", retryable=True)
            # Any exception, not only ProviderError: whatever a provider does, the user is answered.
            except Exception as exc:
                last = _as_provider_error(provider.name, exc, remaining)
                errors.append(f"{provider.name} attempt {attempt}: {last}")
                self._attempt_failed(provider.name, last)
                delay = self._delay(attempt, last)
                if delay is None or self._clock() + delay >= deadline:
                    break
                await self._sleep(delay)
                continue
            self._health[provider.name] = Health(last_ok_at=time.time())
            latency = (self._clock() - sent) * 1000
            return prepared.completion(reply, provider.name, latency), attempt
        self._cool_down(provider.name, last, attempt)
        return None, attempt

    def _cool_down(self, name: str, last: ProviderError | None, attempts: int) -> None:
        """Skip a provider that just failed for a while, so each user does not wait it out."""
        health = self._health[name]
        health.failures += 1
        health.last_error = str(last) if last else "no answer"
        wait = max(self._cooldown, (last.retry_after or 0.0) if last else 0.0)
        health.cool_until = self._clock() + wait
        fields = {"provider": name, "attempts": attempts, "error": health.last_error}
        log.warning("llm.provider_failed", extra={"fields": fields})

    def _delay(self, attempt: int, error: ProviderError) -> float | None:
        if not error.retryable or attempt >= self.config.attempts:
            return None
        base, cap = self._backoff
        return backoff_delay(
            attempt, base=base, cap=cap, retry_after=error.retry_after, rand=self._rand
        )

    def _finish(
        self, task: Task, completion: Completion, started: float, attempts: int, errors: list[str]
    ) -> Completion:
        config = self._provider_config(completion.provider)
        done = dataclasses.replace(
            completion,
            latency_ms=(self._clock() - started) * 1000,
            cost_usd=cost_usd(config, completion.tokens_in, completion.tokens_out),
            attempts=attempts,
            errors=tuple(errors),
        )
        self._record(task, done)
        return done

    def _record(self, task: Task, completion: Completion) -> None:
        self.ledger.record(task.prompt, completion)
        if self.metrics is not None:
            self.metrics.observe(task.prompt, completion)
        self._log(task, completion)

    def _log(self, task: Task, completion: Completion) -> None:
        log.info("llm.completion", extra={"fields": {"purpose": task.prompt, **completion.meta()}})

    def _attempt_failed(self, provider: str, error: ProviderError) -> None:
        if self.metrics is not None:
            kind = (
                str(error.status) if error.status else ("retryable" if error.retryable else "fatal")
            )
            self.metrics.attempt_failed(provider, kind)

    def _window(self, provider: Provider) -> ProviderConfig:
        return self._provider_config(provider.name)

    def _provider_config(self, name: str) -> ProviderConfig:
        """The provider's settings; a provider with none (a test double) gets the defaults."""
        config = getattr(self.config, name, None)
        return config if isinstance(config, ProviderConfig) else ProviderConfig()

    def attach_metrics(self, registry: CollectorRegistry) -> None:
        """Export calls, tokens, cost and latency on ``registry`` (the web app's /metrics)."""
        self.metrics = LLMMetrics(registry)

    def status(self) -> dict[str, Any]:
        """For /health: ok (a model can answer), degraded (every configured provider is failing:
        local mode answers), local_only (none configured); each provider; this process's usage."""
        providers = describe(
            self.config.chain, self.providers, self._health, self._counters, self._clock()
        )
        remote = [p for name, p in providers.items() if name != "local" and p["configured"]]
        state = "local_only" if not remote else "ok"
        if remote and not any(p["healthy"] for p in remote):
            state = "degraded"
        return {
            "state": state,
            "chain": list(self.config.chain),
            "providers": providers,
            "usage": self.ledger.summary(),
        }

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()


def _as_provider_error(name: str, exc: Exception, timeout: float) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProviderError(name, f"no answer within {timeout:.3g} s", retryable=True)
    # A bug or an answer shape the SDK did not expect: not worth retrying on this provider.
    log.exception("llm.provider_crashed", extra={"fields": {"provider": name}})
    return ProviderError(name, f"failed: {type(exc).__name__}: {exc}", retryable=False)
