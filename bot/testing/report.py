"""Readable failures: the case, the step, expected against actual, and the turn's trace."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import Problem
from bot.testing.checks import reply_text
from bot.testing.runner import CaseResult
from bot.testing.turn import Turn

INDENT = "    "


def _quote(text: str, prefix: str = INDENT + "| ") -> str:
    if not text:
        return INDENT + "(no reply)"
    return "\n".join(prefix + line for line in text.splitlines())


def format_failure(result: CaseResult, *, tracebacks: bool = False) -> str:
    """The report of a failed case; ``tracebacks`` adds the whole traceback of a failed turn."""
    case = result.case
    head = f"{case.source}: case '{case.name}'"
    if result.error is not None:
        return f"{head} could not run: {result.error}"
    index = result.failed_step if result.failed_step is not None else len(result.turns) - 1
    lines = [head]
    if result.turns:
        turn = result.turns[index]
        lines[0] += f" failed at step {index + 1} ({turn.step.source})"
        lines.append(f"  {turn.step.describe()}")
        lines.extend(_errors(turn, tracebacks))
    for miss in result.mismatches:
        where = f" ({miss.expect.source})" if miss.expect else ""
        kind = miss.expect.kind if miss.expect else "case"
        message = miss.message.replace("\n", "\n" + INDENT)
        lines.append(f"  expected {kind}{where}: {message}")
        if miss.diff:
            lines.append(_quote(miss.diff, INDENT))
    if result.turns:
        turn = result.turns[index]
        lines.append("  the bot said:")
        lines.append(_quote(reply_text(turn.replies)))
        lines.extend(_describe_turn(turn))
        if index:
            lines.append("  steps before:")
            lines.extend(_history(result.turns[:index]))
    return "\n".join(lines)


def _errors(turn: Turn, tracebacks: bool) -> list[str]:
    """What went wrong inside the turn: the engine caught it and said its error message."""
    out: list[str] = []
    for error in turn.errors:
        if error.event == "turn.failed":
            out.append(f"  the turn failed in state {turn.failed_in}: {error.describe()}")
        else:
            out.append(f"  error logged ({error.event}): {error.describe()}")
        if error.where:
            out.append(f"{INDENT}raised at {error.where}")
        if tracebacks and error.traceback:
            out.append(_quote(error.traceback))
    return out


def _describe_turn(turn: Turn) -> list[str]:
    score = f" (score {turn.score:.0f})" if turn.score is not None else ""
    out = [
        f"  state: {turn.state_before or '(new user)'} -> {turn.state}",
        f"  intent: {turn.intent}{score}",
        "  trace:",
    ]
    out.extend(INDENT + line for line in turn.trace or ("(nothing happened)",))
    slots = ", ".join(f"{k}={_short(v)}" for k, v in sorted(turn.slots.items()))
    out.append(f"  slots: {slots or '(none)'}")
    return out


def _history(turns: Sequence[Turn]) -> list[str]:
    return [
        f"{INDENT}{n}. {t.step.describe()} -> {t.state} (intent {t.intent})"
        for n, t in enumerate(turns, start=1)
    ]


def _short(value: object, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def summary(results: Sequence[CaseResult], seconds: float, *, files_with_problems: int = 0) -> str:
    """``1 file with problems, 2 failed, 40 passed, 1 skipped in 0.52s``."""
    passed = sum(r.passed and not r.skipped for r in results)
    skipped = sum(r.skipped for r in results)
    failed = len(results) - passed - skipped
    parts = [f"{passed} passed"]
    if failed:
        parts.insert(0, f"{failed} failed")
    if files_with_problems:
        plural = "file" if files_with_problems == 1 else "files"
        parts.insert(0, f"{files_with_problems} {plural} with problems")
    if skipped:
        parts.append(f"{skipped} skipped")
    return f"{', '.join(parts)} in {seconds:.2f}s"


def format_problems(problems: Sequence[Problem]) -> str:
    """A file's problems, by line, and what they cost: none of its cases ran."""
    lines = [str(p) for p in problems]
    if not problems or all(p.code == "missing" for p in problems):
        return "\n".join(lines)
    count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    lines.append(f"{problems[0].file}: {count}, so none of its cases ran")
    return "\n".join(lines)
