"""`python -m bot graph`: draw the flows (Mermaid or Graphviz dot), untested edges marked."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.engine.registry import check_flows
from bot.errors import FlowError
from bot.flows.graph import dot, mermaid
from bot.services import default_actions


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
        "they do not walk",
    )
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    directory = args.flows_dir or settings.path(settings.flows.dir)
    flows, problems, _templates = check_flows(
        directory, actions=default_actions(), nlu=settings.nlu, base=Path.cwd()
    )
    if flows is None or any(p.severity == "error" for p in problems):
        raise FlowError([p for p in problems if p.severity == "error"])
    untested = None
    if args.coverage is not None:
        from bot.testing.suite import run_suite

        suite = asyncio.run(run_suite(settings, args.coverage, flows_dir=directory))
        untested = suite.coverage().untested_edges
        print(f"{len(untested)} untested edge(s) marked", file=sys.stderr)
    draw = dot if args.format == "dot" else mermaid
    text = draw(flows, untested=untested)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
