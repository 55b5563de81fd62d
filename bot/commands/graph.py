"""`python -m bot graph`: draw the flows (Mermaid or Graphviz dot), untested edges marked."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.testing.suite import SuiteResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "graph",
        help="draw the flows as a Mermaid or Graphviz (dot) diagram",
        description="Print the states and transitions of the flows, intent names on the edges. "
        "With --coverage the conversation tests run first and untested edges are dashed.",
    )
    parser.add_argument("flows_dir", nargs="?", type=Path, help="default: flows.dir of config")
    parser.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    parser.add_argument(
        "--coverage",
        nargs="*",
        type=Path,
        metavar="TESTS",
        help="run these conversation tests (default: tests/conversations) and mark the edges "
        "they do not walk; put the flows folder first, or name the tests with --tests",
    )
    parser.add_argument(
        "--tests",
        action="append",
        type=Path,
        metavar="PATH",
        help="a conversation test file or folder for --coverage (implies it; repeatable)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.actions import default_actions
    from bot.config import load_settings
    from bot.engine.registry import check_flows
    from bot.errors import FlowError
    from bot.flows.graph import dot, mermaid

    settings = load_settings(args.config)
    directory = args.flows_dir or settings.path(settings.flows.dir)
    flows, problems, _templates = check_flows(
        directory, actions=default_actions(), nlu=settings.nlu, base=Path.cwd()
    )
    if flows is None or any(p.severity == "error" for p in problems):
        raise FlowError([p for p in problems if p.severity == "error"])
    untested = None
    tested_ok = True
    if args.coverage is not None or args.tests:
        from bot.testing.suite import run_suite

        paths = [*(args.coverage or ()), *(args.tests or ())]
        suite = asyncio.run(run_suite(settings, paths, flows_dir=directory))
        untested = suite.coverage().untested_edges
        print(coverage_note(suite, paths, directory, len(untested)), file=sys.stderr)
        tested_ok = suite.ok
    draw = dot if args.format == "dot" else mermaid
    text = draw(flows, untested=untested)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0 if tested_ok else 1


def coverage_note(suite: SuiteResult, paths: list[Path], flows_dir: Path, untested: int) -> str:
    """How the tests went, then the edges marked: untested edges mean little when the cases
    failed, or did not run because their files name states these flows do not have."""
    from bot.testing.report import summary
    from bot.testing.suite import DEFAULT_DIR, display

    where = " ".join(map(str, paths or [DEFAULT_DIR]))
    rerun = f"`python -m bot test --flows {display(flows_dir)} {where}`"
    bad = len(suite.files_with_problems)
    lines = [f"tests ({where}): {summary(suite.results, suite.seconds, files_with_problems=bad)}"]
    if bad:
        lines.append(
            f"  the cases of {bad} file(s) did not run: {rerun} lists their problems "
            "(tests of other flows? name the right ones with --tests PATH)"
        )
    if suite.failed:
        lines.append(f"  {len(suite.failed)} case(s) failed: {rerun} shows why")
    lines.append(f"{untested} untested edge(s) marked")
    return "\n".join(lines)
