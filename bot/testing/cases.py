"""The YAML conversation-test format, loaded into frozen cases that remember their file:line.

    cases:
      - name: a misspelt repository name is understood
        fixtures: {repo: jinja2}        # slots before the first message (optional)
        start: greeting.menu            # the state before the first message (optional)
        llm: ["a recorded reply"]       # recorded LLM replies (optional)
        steps:
          - user: switch repo
            state: repo.choose
          - user: jnja2
            bot_contains: What should I look for in *jinja2*
          - advance: 45m                # move the fake clock

A step starts with `user:` (a message) or `advance:` (a duration); the other keys of that mapping,
and of the mappings after it up to the next step, are expectations on what followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem
from bot.flows.loader import parse_duration
from bot.flows.model import FlowSet, Source
from bot.flows.suggest import did_you_mean
from bot.flows.yamlsrc import LineList, LineMap, line_of, load_yaml_checked
from bot.testing.llm import Recorded

EXPECT_KEYS = frozenset(
    {"bot", "bot_contains", "bot_not_contains", "bot_matches", "state", "slots", "intent"}
    | {"choices"}
)
STEP_KEYS = frozenset({"user", "advance"})
CASE_KEYS = frozenset({"name", "steps", "fixtures", "start", "llm", "user_id", "skip"})
FILE_KEYS = frozenset({"cases", "fixtures", "llm"})


@dataclass(frozen=True, slots=True)
class Expect:
    kind: str  # one of EXPECT_KEYS
    value: Any
    source: Source


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # "user" | "advance"
    text: str  # the message, or the duration as written
    seconds: float
    expects: tuple[Expect, ...]
    source: Source

    def describe(self) -> str:
        return f"user: {self.text!r}" if self.kind == "user" else f"advance: {self.text}"


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    source: Source
    fixtures: Mapping[str, Any] = field(default_factory=dict)
    start: str | None = None
    llm: tuple[Recorded, ...] = ()
    user_id: str = ""
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.source.file}::{self.name}"


def load_case_file(
    path: Path, *, flows: FlowSet | None = None, display: str | None = None
) -> tuple[list[Case], list[Problem]]:
    """Every case in one file, and every problem found (``file:line: message``, sorted by line).

    A file with problems should run none of its cases: a misspelt key or a repeated one means
    the cases do not check what their author meant."""
    cases, problems = _load(path, flows, display or str(path))
    return cases, sorted(problems, key=lambda p: p.line)


def _load(path: Path, flows: FlowSet | None, name: str) -> tuple[list[Case], list[Problem]]:
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
        loaded = load_yaml_checked(text)
        data = loaded.data
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(name, 0, f"cannot read the test file: {exc}", "io")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        return [], [Problem(name, line, f"YAML syntax error: {reason}", "yaml")]
    for key, line, first in loaded.duplicates:
        problems.append(
            Problem(
                name,
                line,
                f"`{key}` is repeated (first at line {first}); YAML keeps only "
                "the last, so the first would never be checked",
                "duplicate",
            )
        )
    defaults: LineMap = LineMap()
    if isinstance(data, LineMap):
        for key in data:
            if key not in FILE_KEYS:
                problems.append(Problem(name, data.line_of(key), _unknown("key", key, FILE_KEYS)))
        defaults, data = data, data.get("cases")
    if not isinstance(data, LineList):
        where = line_of(data, 1)
        problems.append(
            Problem(name, where, "a test file holds `cases:`, a list of cases", "cases")
        )
        return [], problems
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data, start=1):
        case = _case(raw, index, name, defaults, problems)
        if case is None:
            continue
        if case.name in seen:
            problems.append(
                Problem(
                    name, case.source.line, f"case '{case.name}' repeats line {seen[case.name]}"
                )
            )
        seen.setdefault(case.name, case.source.line)
        if flows is not None:
            problems.extend(check_names(case, flows))
        cases.append(case)
    return cases, problems


def _unknown(what: str, key: str, known: frozenset[str]) -> str:
    hint = did_you_mean(key, known) or f" (expected one of: {', '.join(sorted(known))})"
    return f"unknown {what} '{key}'{hint}"


def _case(
    raw: Any, index: int, file: str, defaults: LineMap, problems: list[Problem]
) -> Case | None:
    src = Source(file, line_of(raw, 1))
    if not isinstance(raw, LineMap):
        problems.append(Problem(file, src.line, "each case is a mapping with `name` and `steps`"))
        return None
    for key in raw:
        if key not in CASE_KEYS:
            problems.append(Problem(file, raw.line_of(key), _unknown("case key", key, CASE_KEYS)))
    name = str(raw.get("name") or f"case {index}")
    if "steps" not in raw:
        problems.append(Problem(file, src.line, f"case '{name}' has no `steps:`"))
        steps = []
    else:
        steps = _steps(raw["steps"], Source(file, raw.line_of("steps")), problems)
        if not steps and isinstance(raw["steps"], list):
            where = raw.line_of("steps")
            problems.append(
                Problem(file, where, f"case '{name}' has no `user:` or `advance:` step")
            )
    fixtures = {**_mapping(defaults.get("fixtures")), **_mapping(raw.get("fixtures"))}
    llm = _llm(raw.get("llm", defaults.get("llm")), src, problems)
    start = raw.get("start")
    return Case(
        name=name,
        steps=tuple(steps),
        source=src,
        fixtures=fixtures,
        start=str(start) if start else None,
        llm=llm,
        user_id=str(raw.get("user_id") or f"test:{Path(file).stem}:{index}"),
        skip=str(raw["skip"]) if raw.get("skip") else None,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _steps(raw: Any, src: Source, problems: list[Problem]) -> list[Step]:
    if not isinstance(raw, list):
        problems.append(Problem(src.file, src.line, "`steps` must be a list"))
        return []
    steps: list[Step] = []
    current: dict[str, Any] | None = None
    for item in raw:
        where = Source(src.file, line_of(item, src.line))
        if not isinstance(item, LineMap):
            problems.append(
                Problem(where.file, where.line, "each step is a mapping, like `user: hi`")
            )
            continue
        starts = [k for k in item if k in STEP_KEYS]
        if len(starts) > 1:
            problems.append(
                Problem(where.file, where.line, "a step has `user` or `advance`, not both")
            )
            continue
        if starts:
            if current is not None:
                steps.append(_finish(current))
            current = _start(item, starts[0], where, problems)
        for key in item:
            if key in STEP_KEYS:
                continue
            line = Source(src.file, item.line_of(key))
            if key not in EXPECT_KEYS:
                problems.append(
                    Problem(
                        line.file, line.line, _unknown("step key", key, EXPECT_KEYS | STEP_KEYS)
                    )
                )
            elif current is None:
                problems.append(
                    Problem(line.file, line.line, f"`{key}` comes before any `user:` step")
                )
            else:
                expect = _expect(key, item[key], line, problems)
                if expect is not None:
                    current["expects"].append(expect)
    if current is not None:
        steps.append(_finish(current))
    return steps


def _start(item: LineMap, kind: str, where: Source, problems: list[Problem]) -> dict[str, Any]:
    value = item[kind]
    seconds = 0.0
    if kind == "advance":
        parsed = parse_duration(value)
        if parsed is None or parsed < 0:
            problems.append(
                Problem(
                    where.file, where.line, f"`advance` takes a duration like 45m, got {value!r}"
                )
            )
        seconds = parsed or 0.0
    text = "" if value is None else str(value)
    return {"kind": kind, "text": text, "seconds": seconds, "expects": [], "source": where}


def _finish(current: dict[str, Any]) -> Step:
    return Step(
        current["kind"],
        current["text"],
        current["seconds"],
        tuple(current["expects"]),
        current["source"],
    )


def _expect(key: str, value: Any, where: Source, problems: list[Problem]) -> Expect | None:
    if key in {"bot_contains", "bot_not_contains", "bot_matches"}:
        values = value if isinstance(value, list) else [value]
        value = tuple(str(v) for v in values)
        if key == "bot_matches":
            for pattern in value:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problems.append(
                        Problem(where.file, where.line, f"bad regex {pattern!r}: {exc}")
                    )
                    return None
    elif key == "bot":
        value = tuple(str(v) for v in value) if isinstance(value, list) else str(value)
    elif key == "choices":
        value = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
    elif key == "slots" and not isinstance(value, dict):
        problems.append(Problem(where.file, where.line, "`slots` takes a mapping of slot: value"))
        return None
    elif key in {"state", "intent"}:
        value = None if value is None else str(value)
    return Expect(key, value, where)


def _llm(raw: Any, src: Source, problems: list[Problem]) -> tuple[Recorded, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out: list[Recorded] = []
    for item in items:
        if isinstance(item, dict) and "reply" in item:
            match = item.get("match")
            out.append(Recorded(str(item["reply"]), str(match) if match is not None else None))
        elif isinstance(item, str):
            out.append(Recorded(item))
        else:
            line = line_of(item, line_of(raw, src.line))
            problems.append(
                Problem(
                    src.file, line, "each `llm` entry is a reply or {match: regex, reply: text}"
                )
            )
    return tuple(out)


def check_names(case: Case, flows: FlowSet) -> list[Problem]:
    out: list[Problem] = []
    if case.start and flows.state(case.start) is None:
        hint = did_you_mean(case.start, (s.id for s in flows.all_states()))
        out.append(
            Problem(case.source.file, case.source.line, f"unknown start state '{case.start}'{hint}")
        )
    for step in case.steps:
        for expect in step.expects:
            where = expect.source
            if expect.kind == "state" and expect.value and flows.state(expect.value) is None:
                hint = did_you_mean(expect.value, (s.id for s in flows.all_states()))
                out.append(Problem(where.file, where.line, f"unknown state '{expect.value}'{hint}"))
            if expect.kind == "intent" and expect.value and expect.value not in flows.intents:
                hint = did_you_mean(expect.value, flows.intents)
                out.append(
                    Problem(where.file, where.line, f"unknown intent '{expect.value}'{hint}")
                )
    return out
