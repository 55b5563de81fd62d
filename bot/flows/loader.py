"""Read a flows directory into a FlowSet, collecting every problem instead of stopping at the first.

A file may hold a flow (`flow`, `start`, `states`), intents (`intents`), global commands
(`globals`), engine messages (`messages`) and the entry state (`entry`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem
from bot.flows.model import (
    AUTO,
    BUILTINS,
    OTHERWISE,
    ActionCall,
    Flow,
    FlowSet,
    GlobalCommand,
    Intent,
    Source,
    State,
    Timeout,
    Transition,
)
from bot.flows.yamlsrc import LineList, LineMap, line_of, load_yaml_checked

TOP_KEYS = frozenset(
    {"flow", "description", "start", "states", "intents", "globals", "messages", "entry"}
)
STATE_KEYS = frozenset({"say", "do", "on", "then", "help", "final", "timeout", "description"})
ON_KEYS = frozenset({"intent", "to", "when", "otherwise"})
THEN_KEYS = frozenset({"to", "when"})
GLOBAL_KEYS = frozenset({"builtin", "to", "say", "reset", "keep"})
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


@dataclass(slots=True)
class _Collector:
    problems: list[Problem] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    intents: dict[str, Intent] = field(default_factory=dict)
    globals: dict[str, GlobalCommand] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    message_sources: dict[str, Source] = field(default_factory=dict)
    entry: tuple[str, Source] | None = None

    def add(
        self,
        source: Source,
        message: str,
        code: str = "invalid",
        *,
        flow: str | None = None,
        state: str | None = None,
    ) -> None:
        self.problems.append(Problem(source.file, source.line, message, code, flow, state))


def flow_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_flows(
    directory: Path, *, base: Path | None = None
) -> tuple[FlowSet | None, list[Problem]]:
    """Load every YAML file under ``directory``. The FlowSet is None when nothing usable loaded."""
    files = flow_files(directory) if directory.is_dir() else []
    col = _Collector()
    if not files:
        col.add(Source(str(directory), 0), "no flow files (*.yaml) found here", "no_files")
        return None, col.problems
    digest = hashlib.sha256()
    shown: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        digest.update(path.name.encode() + b"\0" + text.encode())
        name = _display(path, base)
        shown.append(name)
        _load_file(col, name, text)
    entry = (
        col.entry[0]
        if col.entry
        else next((f.start for f in col.flows.values() if f.name == "greeting"), "")
    )
    if not entry and col.flows:
        entry = next(iter(col.flows.values())).start
    flowset = FlowSet(
        flows=col.flows,
        intents=col.intents,
        globals=col.globals,
        messages=col.messages,
        start=entry,
        version=digest.hexdigest()[:12],
        files=tuple(shown),
        message_sources=col.message_sources,
    )
    return flowset, col.problems


def _display(path: Path, base: Path | None) -> str:
    try:
        return str(path.resolve().relative_to((base or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def _load_file(col: _Collector, name: str, text: str) -> None:
    try:
        data, duplicates = load_yaml_checked(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        col.add(Source(name, line), f"YAML syntax error: {reason}", "yaml")
        return
    for key, line, first in duplicates:
        col.add(Source(name, line), f"'{key}' is repeated (first at line {first})", "duplicate")
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(name, line_of(data, 1)), "a flow file must be a mapping at the top level")
        return
    src = Source(name, data.line)
    for key in data:
        if key not in TOP_KEYS:
            col.add(Source(name, data.line_of(key)), _unknown("top-level key", key, TOP_KEYS))
    if "entry" in data:
        if col.entry is not None:
            where = Source(name, data.line_of("entry"))
            col.add(where, f"'entry' is already declared at {col.entry[1]}", "duplicate")
        col.entry = (str(data["entry"]), Source(name, data.line_of("entry")))
    _load_intents(col, name, data.get("intents"))
    _load_globals(col, name, data.get("globals"))
    _load_messages(col, name, data.get("messages"))
    if "flow" in data or "states" in data:
        _load_flow(col, name, data, src)


def _unknown(what: str, key: str, known: Iterable[str]) -> str:
    return f"unknown {what} '{key}' (expected one of: {', '.join(sorted(known))})"


def _load_intents(col: _Collector, file: str, data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(file, line_of(data, 1)), "'intents' must map intent names to examples")
        return
    for name, spec in data.items():
        src = Source(file, data.line_of(name))
        examples = spec.get("examples") if isinstance(spec, LineMap) else spec
        if not NAME.match(name):
            col.add(src, f"intent name '{name}' must be letters, digits and underscores")
        if not isinstance(examples, list) or not examples:
            col.add(src, f"intent '{name}' needs a non-empty list of examples", "intent")
            continue
        if name in col.intents:
            other = col.intents[name].source
            col.add(src, f"intent '{name}' is already declared at {other}", "duplicate")
            continue
        col.intents[name] = Intent(name, tuple(str(e) for e in examples), src)


def _load_globals(col: _Collector, file: str, data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(file, line_of(data, 1)), "'globals' must map intent names to commands")
        return
    for intent, spec in data.items():
        src = Source(file, data.line_of(intent))
        if not isinstance(spec, LineMap):
            col.add(src, f"global '{intent}' must be a mapping (builtin, to, say, reset, keep)")
            continue
        for key in spec:
            if key not in GLOBAL_KEYS:
                col.add(
                    Source(file, spec.line_of(key)),
                    _unknown("global command key", key, GLOBAL_KEYS),
                )
        builtin = spec.get("builtin")
        if builtin is not None and builtin not in BUILTINS:
            col.add(src, _unknown("builtin", str(builtin), BUILTINS))
        if builtin is not None and spec.get("to") is not None:
            col.add(src, f"global '{intent}' has both 'builtin' and 'to': keep one")
        if builtin is None and spec.get("to") is None and spec.get("say") is None:
            col.add(src, f"global '{intent}' does nothing: give it 'builtin', 'to' or 'say'")
        keep = spec.get("keep") or []
        if intent in col.globals:
            other = col.globals[intent].source
            col.add(src, f"global '{intent}' is already declared at {other}", "duplicate")
            continue
        col.globals[intent] = GlobalCommand(
            intent=intent,
            builtin=str(builtin) if builtin is not None else None,
            target=str(spec["to"]) if spec.get("to") is not None else None,
            say=str(spec["say"]) if spec.get("say") is not None else None,
            reset=bool(spec.get("reset", False)),
            keep=tuple(str(k) for k in keep) if isinstance(keep, list) else (str(keep),),
            source=src,
        )


def _load_messages(col: _Collector, file: str, data: Any) -> None:
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(file, line_of(data, 1)), "'messages' must map names to templates")
        return
    for key, value in data.items():
        if key in col.messages:
            col.add(
                Source(file, data.line_of(key)), f"message '{key}' is declared twice", "duplicate"
            )
        col.messages[key] = str(value)
        col.message_sources[key] = Source(file, data.line_of(key))


def _load_flow(col: _Collector, file: str, data: LineMap, src: Source) -> None:
    flow = data.get("flow")
    if not isinstance(flow, str) or not NAME.match(flow):
        col.add(src, "a flow needs 'flow: NAME' (letters, digits, underscores)", "flow")
        return
    if flow in col.flows:
        col.add(src, f"flow '{flow}' is already declared at {col.flows[flow].source}", "duplicate")
        return
    raw_states = data.get("states")
    if not isinstance(raw_states, LineMap) or not raw_states:
        col.add(src, f"flow '{flow}' needs 'states:' with at least one state", "flow", flow=flow)
        return
    states: dict[str, State] = {}
    for name, spec in raw_states.items():
        state_src = Source(file, raw_states.line_of(name))
        if not NAME.match(name):
            col.add(state_src, f"state name '{name}' must be letters, digits and underscores")
        state = _load_state(col, flow, name, spec, state_src)
        if state is not None:
            states[state.id] = state
    start = str(data.get("start") or next(iter(raw_states)))
    col.flows[flow] = Flow(
        name=flow,
        description=str(data.get("description") or ""),
        start=qualify(flow, start),
        states=states,
        source=src,
    )
    if qualify(flow, start) not in states:
        col.add(
            Source(file, data.line_of("start")),
            f"flow '{flow}' starts at unknown state '{start}'",
            "unknown_target",
            flow=flow,
        )


def qualify(flow: str, target: str) -> str:
    return target if "." in target else f"{flow}.{target}"


def _load_state(col: _Collector, flow: str, name: str, spec: Any, src: Source) -> State | None:
    if spec is None:
        spec = LineMap()
    if not isinstance(spec, LineMap):
        col.add(src, f"state '{flow}.{name}' must be a mapping", flow=flow, state=name)
        return None
    for key in spec:
        if key not in STATE_KEYS:
            col.add(
                Source(src.file, spec.line_of(key)),
                _unknown("state key", key, STATE_KEYS),
                flow=flow,
                state=name,
            )
    say = spec.get("say")
    says = tuple(str(s) for s in say) if isinstance(say, list) else ((str(say),) if say else ())
    return State(
        flow=flow,
        name=name,
        say=says,
        actions=_load_actions(col, flow, name, spec.get("do"), src),
        on=_load_on(col, flow, name, spec.get("on"), src),
        then=_load_then(col, flow, name, spec.get("then"), src),
        help=str(spec["help"]) if spec.get("help") is not None else None,
        final=bool(spec.get("final", False)),
        timeout=_load_timeout(col, flow, name, spec.get("timeout"), src),
        source=src,
        key_lines=dict(spec.key_lines) if spec else {},
    )


def _load_actions(
    col: _Collector, flow: str, state: str, data: Any, src: Source
) -> tuple[ActionCall, ...]:
    if data is None:
        return ()
    items = data if isinstance(data, list) else [data]
    calls: list[ActionCall] = []
    for item in items:
        where = Source(src.file, line_of(item, line_of(data, src.line)))
        if isinstance(item, str):
            calls.append(ActionCall(item, {}, where))
        elif isinstance(item, LineMap) and len(item) == 1:
            ((action, args),) = item.items()
            if args is None:
                args = {}
            if not isinstance(args, dict):
                args = {"value": args}
            calls.append(ActionCall(action, args, where))
        else:
            col.add(
                where,
                "each 'do' entry is an action name or {action: {arguments}}",
                flow=flow,
                state=state,
            )
    return tuple(calls)


def _load_on(
    col: _Collector, flow: str, state: str, data: Any, src: Source
) -> tuple[Transition, ...]:
    out: list[Transition] = []
    for item, where in _entries(col, flow, state, data, src, "on", ON_KEYS):
        if "otherwise" in item:
            out.append(Transition(OTHERWISE, qualify(flow, str(item["otherwise"])), None, where))
        elif "intent" in item and "to" in item:
            when = item.get("when")
            out.append(
                Transition(
                    str(item["intent"]),
                    qualify(flow, str(item["to"])),
                    str(when) if when is not None else None,
                    where,
                )
            )
        else:
            col.add(
                where,
                "an 'on' entry needs 'intent' and 'to', or 'otherwise'",
                flow=flow,
                state=state,
            )
    return tuple(out)


def _load_then(
    col: _Collector, flow: str, state: str, data: Any, src: Source
) -> tuple[Transition, ...]:
    out: list[Transition] = []
    for item, where in _entries(col, flow, state, data, src, "then", THEN_KEYS):
        if "to" not in item:
            col.add(
                where, "a 'then' entry needs 'to' (and optionally 'when')", flow=flow, state=state
            )
            continue
        when = item.get("when")
        out.append(
            Transition(
                AUTO, qualify(flow, str(item["to"])), str(when) if when is not None else None, where
            )
        )
    return tuple(out)


def _entries(
    col: _Collector, flow: str, state: str, data: Any, src: Source, what: str, keys: frozenset[str]
) -> list[tuple[LineMap, Source]]:
    if data is None:
        return []
    if not isinstance(data, LineList):
        col.add(
            Source(src.file, line_of(data, src.line)),
            f"'{what}' must be a list of entries",
            flow=flow,
            state=state,
        )
        return []
    out = []
    for item in data:
        where = Source(src.file, line_of(item, data.line))
        if not isinstance(item, LineMap):
            col.add(where, f"each '{what}' entry must be a mapping", flow=flow, state=state)
            continue
        for key in item:
            if key not in keys:
                col.add(
                    Source(src.file, item.line_of(key)),
                    _unknown(f"'{what}' key", key, keys),
                    flow=flow,
                    state=state,
                )
        out.append((item, where))
    return out


def _load_timeout(col: _Collector, flow: str, state: str, data: Any, src: Source) -> Timeout | None:
    if data is None:
        return None
    where = Source(src.file, line_of(data, src.line))
    if not isinstance(data, LineMap) or "after" not in data or "to" not in data:
        col.add(where, "'timeout' needs 'after' (like 10m) and 'to'", flow=flow, state=state)
        return None
    seconds = parse_duration(data["after"])
    if seconds is None:
        col.add(
            where,
            f"'timeout.after' must be a duration like 45s, 10m or 2h, got {data['after']!r}",
            flow=flow,
            state=state,
        )
        return None
    return Timeout(seconds, qualify(flow, str(data["to"])), where)


def parse_duration(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = DURATION.match(str(value))
    if not match:
        return None
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]
