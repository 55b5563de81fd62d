"""Code search benchmark: our index against ripgrep, on ~10k files / 1M+ lines of local code.

    .venv/bin/python bench/search.py [--corpus bench/.corpus] [--runs 5]

The corpus is built by bench/build_search_corpus.py when missing (nothing is downloaded).
ripgrep runs in the same process tree, on the same files, as the anchor; every regex query's
matching lines are compared with ripgrep's (rg --no-unicode: our \\w, \\d, \\b are ASCII, as
in RE2). Ends with one `RESULT key=value ...` line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import settings_from_mapping
from bot.search.engine import all_matches
from bot.search.files import FileFilter
from bot.search.index import build
from bot.search.service import SearchService
from bot.search.symbols import Outliner

HERE = Path(__file__).resolve().parent
REGEX_QUERIES = [
    r"def \w+_token",
    r"import os",
    r"class \w+Error\(",
    r"TODO",
    r"raise ValueError\(",
    r"self\.assert\w+\(",
    r"^from \w+ import \*",
    r"urllib\.parse\.quote",
    r"@property",
    r"async def \w+",
    r"\bsocket\.socket\(",
    r"#include <\w+\.h>",
    r"return None$",
    r"(?i)copyright",
    r"def __\w+__\(self\)",
    r"\d{4}-\d{2}-\d{2}",
    r"lambda \w+: \w+\.\w+",
    r"json\.loads?\(",
    r"except \w+ as e:",
    r"os\.environ\.get\(",
    r'"https?://[^"]+"',
    r"threading\.Lock\(\)",
    r"if __name__ == .__main__.:",
    r"logging\.getLogger\(__name__\)",
]
SYMBOL_QUERIES = [
    "ArgumentParser", "HTTPConnection", "JSONDecoder", "Thread", "urlopen",
    "ZipFile", "Decimal", "SSLContext", "Request", "TestCase",
]  # fmt: skip
TEXT_QUERIES = [
    "how are cookies parsed",
    "read a zip archive",
    "parse command line arguments",
    "verify ssl certificate",
    "retry a failed http request",
    "compress data with gzip",
    "format a date as an iso string",
    "escape html special characters",
    "load json from a file",
    "run a subprocess and capture its output",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rg_lines(corpus: Path, pattern: str) -> tuple[float, set[str]]:
    argv = ["rg", "--no-config", "--no-ignore-parent", "--no-unicode", "-n", "--no-heading"]
    argv += ["--with-filename"]
    argv += ["--color", "never", "-e", pattern, "."]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=corpus, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    found = set()
    for raw in done.stdout.splitlines():
        path, line, _rest = raw.split(b":", 2)
        found.add(f"{path.decode('utf-8', 'replace').removeprefix('./')}:{int(line)}")
    return elapsed, found


async def timed(service: SearchService, query: str, kind: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await service.search(query, kind=kind)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def change_latency(service: SearchService, corpus: Path, rounds: int = 5) -> list[float]:
    """Write a file, then search until the new word is found."""
    out = []
    target = corpus / "zz_bench_change.py"
    for i in range(rounds):
        word = f"bench_fresh_symbol_{i}_{time.monotonic_ns()}"
        started = time.perf_counter()
        target.write_text(f"def {word}():\n    return {i}\n")
        while not (await service.search(word, kind="symbol")).hits:
            if time.perf_counter() - started > 5:
                break
            await asyncio.sleep(0.002)
        out.append(time.perf_counter() - started)
        await asyncio.sleep(0.2)
    target.unlink()
    return out


async def run(corpus: Path, runs: int) -> int:
    rows: list[tuple[str, str]] = []
    cache = Path(tempfile.mkdtemp(prefix="search-bench-")) / "corpus.analyses"
    started = time.perf_counter()
    snap = build("corpus", FileFilter(corpus), outliner=Outliner(), workers=2, cache=cache)
    index_s = time.perf_counter() - started
    del snap
    started = time.perf_counter()  # a restart: every file unchanged since the build above
    snap = build("corpus", FileFilter(corpus), outliner=Outliner(), workers=2, cache=cache)
    warm_s = time.perf_counter() - started
    shutil.rmtree(cache.parent)
    stats = snap.stats()
    rss_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    settings = settings_from_mapping({"repos": [{"name": "corpus", "path": str(corpus)}]})
    service = SearchService.from_settings(settings)
    service.adopt(snap)

    print("ours: the first 20 hits and a count of up to 200 lines; rg: every matching line")
    print(f"{'regex query':38} {'ours ms':>8} {'rg ms':>8} {'ratio':>6} {'lines':>7}  same")
    ours, rgs, ratios, full, correct = [], [], [], [], 0
    for pattern in REGEX_QUERIES:
        rg_times, expected = [], set()
        for _ in range(max(1, runs // 2)):
            elapsed, expected = rg_lines(corpus, pattern)
            rg_times.append(elapsed)
        rg_s = statistics.median(rg_times)
        our_s = await timed(service, f"/{pattern}/", "regex", runs)
        full_started = time.perf_counter()
        got = await asyncio.to_thread(all_matches, snap, pattern)
        full.append(time.perf_counter() - full_started)
        same = got == expected
        correct += same
        ours.append(our_s)
        rgs.append(rg_s)
        ratios.append(our_s / rg_s)
        mark = "yes" if same else f"NO (+{len(got - expected)} -{len(expected - got)})"
        print(
            f"{pattern[:38]:38} {our_s * 1000:8.2f} {rg_s * 1000:8.1f} "
            f"{our_s / rg_s:6.3f} {len(expected):7}  {mark}"
        )

    symbol_times = [await timed(service, q, "symbol", runs) for q in SYMBOL_QUERIES]
    found = [bool((await service.search(q, kind="symbol")).hits) for q in SYMBOL_QUERIES]
    text_times = [await timed(service, q, "text", runs) for q in TEXT_QUERIES]
    print("\nplain-language top hits:")
    for q in TEXT_QUERIES[:5]:
        top = (await service.search(q, kind="text", limit=1)).hits
        print(f"  {q!r:40} -> {top[0].path}:{top[0].line} ({top[0].symbol})" if top else q)

    mixed = [f"/{p}/" for p in REGEX_QUERIES] + SYMBOL_QUERIES + TEXT_QUERIES
    batch = (mixed * 2)[:50]
    started = time.perf_counter()
    await asyncio.gather(*(service.search(q) for q in batch))
    concurrent_s = time.perf_counter() - started

    await service.start()  # watches the corpus; the adopted index is not rebuilt
    await asyncio.sleep(0.5)
    changes = await change_latency(service, corpus)
    await service.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    ms = 1000
    rows += [
        ("corpus", f"{stats['files']} files, {stats['lines']} lines, {stats['symbols']} symbols"),
        ("full index", f"{index_s:.1f} s (peak RSS {rss_index:.0f} MB after indexing)"),
        ("index at restart", f"{warm_s:.1f} s (analyses of unchanged files reused)"),
        ("regex p50 / p95", f"{pct(ours, 0.5) * ms:.2f} / {pct(ours, 0.95) * ms:.2f} ms"),
        ("ripgrep p50 / p95", f"{pct(rgs, 0.5) * ms:.1f} / {pct(rgs, 0.95) * ms:.1f} ms"),
        ("ours / ripgrep p50", f"{pct(ours, 0.5) / pct(rgs, 0.5):.3f}"),
        ("median of per-query ratios", f"{statistics.median(ratios):.3f}"),
        ("every matching line, p50", f"{pct(full, 0.5) * ms:.1f} ms (listing all, as rg does)"),
        ("same lines as ripgrep", f"{correct}/{len(REGEX_QUERIES)} queries"),
        ("symbol p50 / p95", f"{pct(symbol_times, 0.5) * ms:.2f} / "
         f"{pct(symbol_times, 0.95) * ms:.2f} ms ({sum(found)}/{len(found)} found)"),
        ("plain-language p50 / p95", f"{pct(text_times, 0.5) * ms:.2f} / "
         f"{pct(text_times, 0.95) * ms:.2f} ms"),
        ("50 concurrent searches", f"{concurrent_s * ms:.0f} ms in total"),
        ("changed file searchable", f"p50 {pct(changes, 0.5) * ms:.0f} ms, "
         f"max {max(changes) * ms:.0f} ms"),
        ("peak RSS", f"{peak:.0f} MB (largest index worker or rg: {worker_peak:.0f} MB)"),
        ("machine load (1/5/15 min)", " / ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]  # fmt: skip
    print()
    for name, value in rows:
        print(f"{name:28} {value}")
    print(
        f"RESULT files={stats['files']} lines={stats['lines']} index_s={index_s:.1f} "
        f"restart_index_s={warm_s:.1f} "
        f"regex_p50_ms={pct(ours, 0.5) * 1000:.2f} regex_p95_ms={pct(ours, 0.95) * 1000:.2f} "
        f"rg_p50_ms={pct(rgs, 0.5) * 1000:.1f} ratio_p50={pct(ours, 0.5) / pct(rgs, 0.5):.3f} "
        f"correct={correct}/{len(REGEX_QUERIES)} symbol_p50_ms={pct(symbol_times, 0.5) * 1000:.2f} "
        f"text_p50_ms={pct(text_times, 0.5) * 1000:.2f} concurrent50_ms={concurrent_s * 1000:.0f} "
        f"change_ms={pct(changes, 0.5) * 1000:.0f} peak_rss_mb={peak:.0f}"
    )
    return 0 if correct == len(REGEX_QUERIES) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=HERE / ".corpus")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (median)")
    args = parser.parse_args()
    if shutil.which("rg") is None:
        print("ripgrep (rg) is not installed: run scripts/install-system-packages.sh")
        return 2
    if not args.corpus.is_dir():
        builder = HERE / "build_search_corpus.py"
        subprocess.run([sys.executable, str(builder), "--out", str(args.corpus)], check=True)
    return asyncio.run(run(args.corpus.resolve(), args.runs))


if __name__ == "__main__":
    sys.exit(main())
