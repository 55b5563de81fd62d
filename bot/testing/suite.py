"""Find conversation-test files, load their cases and run them with one runner."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.errors import Problem
from bot.flows.model import FlowSet
from bot.store.base import ConversationStore
from bot.testing.cases import Case, load_case_file
from bot.testing.coverage import Coverage, Walked, measure
from bot.testing.runner import CaseResult, ConversationRunner

DEFAULT_DIR = Path("tests/conversations")


@dataclass(frozen=True, slots=True)
class SuiteResult:
    results: tuple[CaseResult, ...]
    problems: tuple[Problem, ...]  # in the test files themselves, by file then line
    flows: FlowSet
    seconds: float

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def files_with_problems(self) -> list[str]:
        """The test files whose problems kept all their cases from running."""
        return list(dict.fromkeys(p.file for p in self.problems))

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed

    def coverage(self) -> Coverage:
        return measure(self.flows, Walked().add_results(self.results))


def test_files(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths or [DEFAULT_DIR]:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"}))
        else:
            found.append(path)
    return found


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_cases(paths: Sequence[Path], flows: FlowSet) -> tuple[list[Case], list[Problem]]:
    """The cases of every file without problems, and the problems of the others: a file with
    problems runs none of its cases, as its cases may not check what their author meant."""
    cases: list[Case] = []
    problems: list[Problem] = []
    files = test_files(paths)
    if not files:
        problems.append(
            Problem(", ".join(map(str, paths)), 0, "no test files (*.yaml) found", "missing")
        )
    for path in files:
        if not path.is_file():
            problems.append(Problem(str(path), 0, "no such test file", "missing"))
            continue
        found, trouble = load_case_file(path, flows=flows, display=display(path))
        if trouble:
            problems.extend(trouble)
        else:
            cases.extend(found)
    return cases, problems


async def run_suite(
    settings: Settings,
    paths: Sequence[Path] = (),
    *,
    flows_dir: Path | None = None,
    select: str | None = None,
    runner: ConversationRunner | None = None,
    store: ConversationStore | None = None,
) -> SuiteResult:
    """Run every case under ``paths`` (default tests/conversations); ``select`` keeps the cases
    whose name contains it."""
    started = time.perf_counter()
    own = runner is None
    runner = runner or await ConversationRunner.open(settings, flows_dir=flows_dir, store=store)
    try:
        flows = runner.services.flows.current.flows
        cases, problems = load_cases(paths, flows)
        if select:
            cases = [c for c in cases if select.casefold() in c.name.casefold()]
        results = await runner.run_all(cases)
    finally:
        if own:
            await runner.close()
    return SuiteResult(tuple(results), tuple(problems), flows, time.perf_counter() - started)
