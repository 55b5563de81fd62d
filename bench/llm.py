"""How much our LLM layer adds per call, and how fast it leaves a hanging provider.

    .venv/bin/python bench/llm.py [--calls 2000]

1. Overhead: ``LLMRouter.complete`` with an in-process provider that answers at once, on a
   realistic task (6 snippets of ~1,500 characters, 10 history turns): prompt rendering, token
   counting and trimming with tiktoken, bookkeeping. Target: p99 under 5 ms.
2. Anchor, measured in the same run: the same call through the real OpenAI SDK to a local aiohttp
   server speaking /v1/chat/completions (one HTTP round trip on loopback).
3. Fallback: OpenAI hangs, Anthropic answers; time until the answer with timeout_seconds=1.
   Target: under timeout + 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings, settings_from_mapping  # noqa: E402
from bot.llm.base import ChatRequest, Message, ProviderReply, Task  # noqa: E402
from bot.llm.prompts import PromptLibrary  # noqa: E402
from bot.llm.router import LLMRouter  # noqa: E402
from tests.llm.fakes import FakeLLM, Hang, Reply  # noqa: E402

TIMEOUT = 1.0


class InstantProvider:
    name = "openai"
    model = "gpt-4o-mini"

    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        return ProviderReply("An answer (jinja2/loaders.py:120).", self.model, 1200, 40)

    async def aclose(self) -> None:
        return None


def realistic_task(call: int = 0) -> Task:
    """Snippets differ on every call (as they do between questions), so no count is reused;
    the history repeats, as it does between turns of one conversation."""
    files = sorted((ROOT / "bot").rglob("*.py"))
    snippets = []
    for i in range(6):
        path = files[(call * 6 + i) % len(files)]
        code = path.read_text().splitlines()
        start = (call * 7) % max(1, len(code) - 30)
        body = "\n".join(f"{n:>4} {t}" for n, t in enumerate(code[start : start + 30], start + 1))
        snippets.append(f"{path.relative_to(ROOT)}:{start + 1} (call {call})\n{body}"[:1500])
    history = tuple(
        Message("user" if i % 2 == 0 else "assistant", f"turn {i}: " + "some words here " * 12)
        for i in range(10)
    )
    return Task(
        prompt="answer",
        variables={"question": "how does the router fall back?", "repo": "codechat"},
        snippets=tuple(snippets),
        history=history,
        fallback="local answer",
    )


def settings(fake: FakeLLM | None) -> Settings:
    llm: dict[str, object] = {"timeout_seconds": TIMEOUT}
    if fake is not None:
        llm["openai"] = {"api_key": "sk-bench", "base_url": fake.openai_base_url}
        llm["anthropic"] = {"api_key": "sk-bench", "base_url": fake.anthropic_base_url}
    return settings_from_mapping(
        {"flows": {"prompts_dir": str(ROOT / "prompts")}, "llm": llm}, base_dir=ROOT
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(router: LLMRouter, calls: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) milliseconds per call. On a shared machine the wall
    clock also counts time spent waiting for a core; the CPU time is what the layer costs."""
    await router.complete(realistic_task(-1))  # warm: encodings loaded, templates compiled
    tasks = [realistic_task(call) for call in range(calls)]
    wall, cpu = [], []
    for task in tasks:
        started, started_cpu = time.perf_counter(), time.thread_time()
        await router.complete(task)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


async def main(calls: int) -> None:
    task = realistic_task()
    base = settings(None)
    prompts = PromptLibrary(base.path(base.flows.prompts_dir))
    local = LLMRouter(config=base.llm, providers=[InstantProvider()], prompts=prompts)
    overhead, overhead_cpu = await timed(local, calls)

    fake = FakeLLM()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    remote = LLMRouter.from_settings(settings(fake))
    sdk, _sdk_cpu = await timed(remote, max(50, calls // 10))
    await remote.aclose()

    fallbacks = []
    for _ in range(3):
        router = LLMRouter.from_settings(settings(fake))
        fake.then(Hang(30), Reply("anthropic answered"))
        started = time.perf_counter()
        done = await router.complete(task)
        fallbacks.append(time.perf_counter() - started)
        assert done.provider == "anthropic", done
        await router.aclose()
    await server.close()

    p50, p99 = statistics.median(overhead), percentile(overhead, 0.99)
    cpu50, cpu99 = statistics.median(overhead_cpu), percentile(overhead_cpu, 0.99)
    sdk50 = statistics.median(sdk)
    print(f"layer overhead, instant provider ({calls} calls): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"  the same in CPU time of this thread: p50 {cpu50:.2f} ms, p99 {cpu99:.2f} ms")
    print(f"anchor: same call via the OpenAI SDK over loopback HTTP: p50 {sdk50:.2f} ms")
    print(f"overhead p99 / SDK round trip p50 = {p99 / sdk50:.2f}")
    print(f"fallback when OpenAI hangs (timeout {TIMEOUT:g} s): worst {max(fallbacks):.2f} s")
    print(
        f"RESULT overhead_p50_ms={p50:.2f} overhead_p99_ms={p99:.2f} "
        f"overhead_cpu_p99_ms={cpu99:.2f} sdk_call_p50_ms={sdk50:.2f} "
        f"overhead_vs_sdk={p99 / sdk50:.2f} fallback_s={max(fallbacks):.2f} "
        f"fallback_limit_s={TIMEOUT + 1:g}"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    asyncio.run(main(parser.parse_args().calls))
