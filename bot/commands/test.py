"""`python -m bot test [PATH...]`: run YAML conversation tests against the real engine."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.testing.suite import SuiteResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "test",
        help="run YAML conversation tests (default: tests/conversations)",
        description="Run YAML conversation tests through the real engine, flows and search, "
        "with an in-memory store, a fake clock and recorded LLM replies.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="test files or folders")
    parser.add_argument("-k", dest="select", help="only the cases whose name contains this")
    parser.add_argument("--flows", type=Path, help="flows folder (default: flows.dir of config)")
    parser.add_argument(
        "--coverage", action="store_true", help="list states and transitions no test walks"
    )
    parser.add_argument("--coverage-json", type=Path, help="write the coverage as JSON here")
    parser.add_argument(
        "--store",
        choices=("memory", "sqlite"),
        default="memory",
        help="where sessions live during the run (sqlite: a temporary database file)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="name every case run, and show the traceback of a turn that failed",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.store.sqlite import SqliteStore
    from bot.testing.suite import run_suite

    settings = load_settings(args.config)
    with tempfile.TemporaryDirectory(prefix="bot-test-") as tmp:
        store = SqliteStore(str(Path(tmp) / "bot.db")) if args.store == "sqlite" else None
        suite = asyncio.run(
            run_suite(settings, args.paths, flows_dir=args.flows, select=args.select, store=store)
        )
    return report(suite, args)


def report(suite: SuiteResult, args: argparse.Namespace) -> int:
    from bot.testing.report import format_failure, format_problems, summary

    out = sys.stdout
    for file in suite.files_with_problems:
        print(format_problems([p for p in suite.problems if p.file == file]), file=out)
    for result in suite.results:
        if args.verbose:
            mark = "SKIP" if result.skipped else ("ok" if result.passed else "FAIL")
            print(f"{mark:4} {result.case.id} ({result.seconds * 1000:.0f} ms)", file=out)
    for result in suite.failed:
        print(file=out)
        print(format_failure(result, tracebacks=args.verbose), file=out)
    if args.coverage or args.coverage_json:
        coverage = suite.coverage()
        if args.coverage:
            print(file=out)
            print(coverage.text(), file=out)
        if args.coverage_json:
            args.coverage_json.write_text(coverage.as_json() + "\n", encoding="utf-8")
    print(file=out)
    bad = len(suite.files_with_problems)
    print(summary(suite.results, suite.seconds, files_with_problems=bad), file=out)
    return 0 if suite.ok else 1
