"""The flow authors' toolkit: how long validation, the conversation-test suite and a live reload
take. The anchor, measured in the same run: parsing the same flow files with plain PyYAML (the
same libyaml parser, without line numbers or checks).

    .venv/bin/python bench/toolkit.py [--reloads 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bot.config import load_settings
from bot.engine.registry import check_flows, compile_flows
from bot.services import Services, default_actions
from bot.store.memory import MemoryStore
from bot.testing.suite import run_suite

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn: object, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def reload_latency(runs: int) -> list[float]:
    """Save a flow edit while the bot runs; how long until the new version answers."""
    settings = load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)
    with tempfile.TemporaryDirectory() as tmp:
        flows = Path(tmp) / "flows"
        shutil.copytree(ROOT / "flows", flows)
        settings = dataclasses.replace(
            settings, flows=dataclasses.replace(settings.flows, dir=str(flows), reload=True)
        )
        services = await Services.create(settings, store=MemoryStore(), start_search=False)
        out = []
        try:
            greeting = flows / "greeting.yaml"
            for n in range(runs):
                version = services.flows.current.version
                text = greeting.read_text(encoding="utf-8")
                greeting.write_text(text.replace("I help you", f"I ({n}) help you"), "utf-8")
                started = time.perf_counter()
                swapped = asyncio.Event()
                services.flows.listeners[:] = [lambda _compiled, done=swapped: done.set()]
                await asyncio.wait_for(swapped.wait(), timeout=10)
                assert services.flows.current.version != version
                out.append((time.perf_counter() - started) * 1000)
                greeting.write_text(text, encoding="utf-8")
                await asyncio.sleep(0.7)
        finally:
            await services.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings(ROOT / "config.yaml", environ={}, read_dotenv=False)
    folder = ROOT / "flows"
    files = sorted(folder.glob("*.yaml"))
    actions = default_actions()

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    anchor = median_ms(lambda: [yaml.load(p.read_text("utf-8"), loader) for p in files])
    validate = median_ms(lambda: check_flows(folder, actions=actions, nlu=settings.nlu))
    compiled = median_ms(lambda: compile_flows(folder, actions=actions, nlu=settings.nlu))

    started = time.perf_counter()
    suite = asyncio.run(run_suite(settings, [ROOT / "tests" / "conversations"]))
    suite_s = time.perf_counter() - started
    assert suite.ok, "the conversation tests fail: run python -m bot test"

    reloads = asyncio.run(reload_latency(args.reloads))
    reload_ms = statistics.median(reloads)

    print(f"parse flow files with PyYAML (anchor):  {anchor:8.1f} ms")
    print(f"validate (load + every check):         {validate:8.1f} ms  ({validate / anchor:.1f}x)")
    print(f"validate + compile the machine:         {compiled:8.1f} ms  ({compiled / anchor:.1f}x)")
    print(f"conversation tests: {len(suite.results)} cases in {suite_s:.2f} s (runner included)")
    print(f"live reload, save -> new version live:  {reload_ms:8.0f} ms median of {len(reloads)}")
    print(
        f"RESULT validate_ms={validate:.1f} compile_ms={compiled:.1f} anchor_ms={anchor:.1f} "
        f"validate_ratio={validate / anchor:.1f} suite_s={suite_s:.2f} cases={len(suite.results)} "
        f"reload_ms={reload_ms:.0f}"
    )


if __name__ == "__main__":
    main()
