"""`python -m bot validate [FLOWS_DIR]`: every problem in the flows at once, as file:line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.errors import Problem


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "validate",
        help="check the flows: every problem at once as file:line: message (exit 1 when any)",
    )
    parser.add_argument("flows_dir", nargs="?", type=Path, help="default: flows.dir of config")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.actions import default_actions
    from bot.config import load_settings
    from bot.engine.registry import check_flows
    from bot.llm.prompts import check_prompts

    settings = load_settings(args.config)
    directory = args.flows_dir or settings.path(settings.flows.dir)
    flows, problems, _templates = check_flows(
        directory, actions=default_actions(), nlu=settings.nlu, base=Path.cwd()
    )
    problems += check_prompts(settings.path(settings.flows.prompts_dir))
    if args.format == "json":
        print(json.dumps(as_json(problems, flows is not None), indent=2))
    else:
        print_text(problems, directory, settings)
    return 1 if problems else 0


def as_json(problems: list[Problem], loaded: bool) -> dict[str, object]:
    return {
        "ok": not problems,
        "loaded": loaded,
        "count": len(problems),
        "problems": [
            {
                "file": p.file,
                "line": p.line,
                "message": p.message,
                "code": p.code,
                "severity": p.severity,
                "flow": p.flow,
                "state": p.state,
            }
            for p in problems
        ],
    }


def print_text(problems: list[Problem], directory: Path, settings: Settings) -> None:
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problem(s) in {directory}", file=sys.stderr)
    else:
        print(f"{directory}: ok")
