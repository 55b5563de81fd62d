"""How well the bot understands the tuning sets' messages when it has not learned from them.

    .venv/bin/python bench/nlu_own_out.py [--set dev|...|dev9] [--show-errors]

`flows/phrasings.yaml` holds the tuning sets' own messages (docs/flows.md, "Phrasings"), so
bench/nlu.py's figures for those sets are partly recall. Here each tuning set runs over a copy
of the flows whose phrasings leave out that set's messages (as the matcher keys them): the
figure tells how the understanding carries over to messages it was not taught. The anchor,
measured in the same run, is the same set with every phrasing in. The held-out sets are not run.
Ends with one `RESULT key=value ...` line.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nlu import ROOT, SETS, TUNING, _pooled, prepared, report, run_cases
from bot.config import Settings, load_settings
from bot.services import Services
from bot.store.memory import MemoryStore


async def measure(
    settings: Settings, name: str, cases: list[dict[str, Any]], show: bool
) -> dict[str, float]:
    services = await Services.create(
        settings, store=MemoryStore(), watch_flows=False, start_search=True
    )
    try:
        await services.search.wait_ready()
        sessions = await prepared(services)
        return report(name, await run_cases(services, sessions, cases, name), show)
    finally:
        await services.close()


def without_own(flows: Path, into: Path, keys: set[str]) -> Path:
    """A copy of the flows folder whose phrasings leave out the messages keyed as ``keys``."""
    copy = into / "flows"
    shutil.copytree(flows, copy)
    path = copy / "phrasings.yaml"
    data = yaml.safe_load(path.read_text())
    for label, texts in data["phrasings"].items():
        data["phrasings"][label] = [t for t in texts if str(t) not in keys]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return copy


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*TUNING, "all"], default="all")
    parser.add_argument("--show-errors", action="store_true", help="list the misses")
    args = parser.parse_args()
    names = list(TUNING) if args.set == "all" else [args.set]
    own_out: list[dict[str, float]] = []
    with_own: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        environ = {"BOT_SEARCH__INDEX_DIR": str(Path(tmp) / "index"), "BOT_ENV": "test"}
        shipped = load_settings(ROOT / "config.yaml", environ=environ, read_dotenv=False)
        keying = await Services.create(
            shipped, store=MemoryStore(), watch_flows=False, start_search=False
        )
        matcher = keying.flows.current.matcher("search.results")
        repos = [r.name for r in shipped.repos]
        await keying.close()
        for name in names:
            cases = yaml.safe_load((SETS / f"{name}.yaml").read_text())["cases"]
            keys = {matcher.keyed(str(c["text"]), repos) for c in cases}
            folder = Path(tmp) / name
            flows = without_own(shipped.path(shipped.flows.dir), folder, keys)
            settings = load_settings(
                ROOT / "config.yaml",
                environ={**environ, "BOT_FLOWS__DIR": str(flows), "BOT_FLOWS__CHECK_CACHE": ""},
                read_dotenv=False,
            )
            print(f"\n--- {name}, its own phrasings left out")
            own_out.append(await measure(settings, name, cases, args.show_errors))
            print(f"--- {name}, every phrasing in (anchor)")
            with_own.append(await measure(shipped, name, cases, False))
    out, anchor = _pooled(own_out), _pooled(with_own)
    searched = sum(int(f["searched"]) for f in own_out)
    offered = sum(int(f["offered"]) for f in own_out)
    cases_total = sum(int(f["cases"]) for f in own_out)
    print(
        f"\n{cases_total} cases: {out['accuracy']:.1%} right with their own phrasings left out, "
        f"{anchor['accuracy']:.1%} with them in; commands searched {searched} "
        f"(the command offered after {offered})"
    )
    print(
        f"RESULT own_out_accuracy={out['accuracy']:.4f} with_own_accuracy={anchor['accuracy']:.4f} "
        f"own_out_commands_searched={searched} own_out_commands_offered={offered} "
        f"cases={cases_total}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
