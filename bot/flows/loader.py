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
    BUILTINS,
    ENTITY_KINDS,
    EntityDecl,
    Flow,
    FlowSet,
    GlobalCommand,
    Intent,
    Phrasings,
    Source,
    State,
    UnloadedFile,
)
from bot.flows.states import load_state, parse_duration, qualify
from bot.flows.suggest import did_you_mean
from bot.flows.yamlerrors import describe, template_hint
from bot.flows.yamlsrc import LineMap, line_of, load_yaml_checked

FIRST_MESSAGE = ("welcome", "answer")  # a new user's first message: only welcomed, or also answered
TOP_KEYS = frozenset(
    {"flow", "description", "start", "states", "intents", "globals", "messages", "entry"}
    | {"first_message", "entities", "phrasings"}
)
INTENT_KEYS = frozenset({"examples", "label", "hint", "about"})
INTENT_ABOUT = frozenset({"result", "page"})
GLOBAL_KEYS = frozenset({"builtin", "to", "say", "reset", "keep"})
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What an unreadable file seems to declare, read from its raw lines.
_TOP_KEY = re.compile(r"^([A-Za-z_]\w*)\s*:", re.MULTILINE)
_FLOW_NAME = re.compile(r"^flow\s*:\s*[\"']?([A-Za-z_]\w*)", re.MULTILINE)


@dataclass(slots=True)
class _Collector:
    problems: list[Problem] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    intents: dict[str, Intent] = field(default_factory=dict)
    globals: dict[str, GlobalCommand] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    message_sources: dict[str, Source] = field(default_factory=dict)
    entry: tuple[str, Source] | None = None
    answer_first: bool = False
    unloaded: list[UnloadedFile] = field(default_factory=list)
    entities: dict[str, EntityDecl] = field(default_factory=dict)
    phrasings: dict[str, Phrasings] = field(default_factory=dict)

    def add(
        self,
        source: Source,
        message: str,
        code: str = "invalid",
        *,
        flow: str | None = None,
        state: str | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(
            Problem(source.file, source.line, message, code, flow, state, severity)
        )


# Files that could not be read at all: listed first, since they explain other problems.
UNREADABLE = frozenset({"yaml", "not_text"})


def problem_order(problem: Problem) -> tuple[bool, str, int, str]:
    """How problems are listed: unreadable files first, then by file and line."""
    return (problem.code not in UNREADABLE, problem.file, problem.line, problem.message)


def flow_files(directory: Path) -> list[Path]:
    """The YAML files under ``directory``, hidden ones and those in hidden folders left out: a
    Kubernetes ConfigMap volume keeps a second copy of every file in `..data/`."""
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix in {".yaml", ".yml"}
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


def source_version(files: Iterable[tuple[str, bytes]]) -> str:
    """The version of a flows folder: a digest of each file's name and content, in order."""
    digest = hashlib.sha256()
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw)
    return digest.hexdigest()[:12]


def load_flows(
    directory: Path, *, base: Path | None = None
) -> tuple[FlowSet | None, list[Problem]]:
    """Load every YAML file under ``directory``. The FlowSet is None when nothing usable loaded."""
    col = _Collector()
    where = Source(str(directory), 0)
    if not directory.exists():
        col.add(where, "does not exist: give the folder that holds the flow files", "no_files")
        return None, col.problems
    if not directory.is_dir():
        col.add(
            where,
            f"is a file, not a folder: give the folder of flow files ({directory.parent}, "
            "which holds it): they are checked together",
            "no_files",
        )
        return None, col.problems
    files = flow_files(directory)
    if not files:
        col.add(where, "no flow files (*.yaml) found in this folder", "no_files")
        return None, col.problems
    read: list[tuple[str, bytes]] = []
    shown: list[str] = []
    for path in files:
        raw = path.read_bytes()
        read.append((path.name, raw))
        name = _display(path, base)
        shown.append(name)
        text = _text(raw)
        if text is None:
            col.add(Source(name, 1), "not a text (UTF-8) file: flow files are YAML", "not_text")
            col.unloaded.append(UnloadedFile(Source(name, 1), None, TOP_KEYS))
            continue
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
        version=source_version(read),
        files=tuple(shown),
        message_sources=col.message_sources,
        answer_first_message=col.answer_first,
        entry_source=col.entry[1] if col.entry else None,
        unloaded=tuple(col.unloaded),
        entities=col.entities,
        phrasings=col.phrasings,
    )
    return flowset, col.problems


def _text(raw: bytes) -> str | None:
    """The file's text; None when it is not UTF-8 text (an image, a compiled file...)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _display(path: Path, base: Path | None) -> str:
    try:
        return str(path.resolve().relative_to((base or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def _load_file(col: _Collector, name: str, text: str) -> None:
    try:
        loaded = load_yaml_checked(text)
    except yaml.YAMLError as exc:
        line, message = describe(exc, text)
        col.add(Source(name, line), message, "yaml")
        flow = _FLOW_NAME.search(text)
        keys = frozenset(_TOP_KEY.findall(text))
        named = flow.group(1) if flow else None
        col.unloaded.append(UnloadedFile(Source(name, line), named, keys))
        return
    data = loaded.data
    for key, line, first in loaded.duplicates:
        col.add(Source(name, line), f"'{key}' is repeated (first at line {first})", "duplicate")
    lines = text.splitlines()
    for line in loaded.braced_keys:
        message = f"YAML read this value as a mapping: {template_hint(lines[line - 1])}"
        col.add(Source(name, line), message, "yaml")
    if data is None:
        message = "empty file: it declares nothing (add a flow, intents... or delete it)"
        col.add(Source(name, 1), message, "empty", severity="warning")
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
    if "first_message" in data:
        value = data["first_message"]
        if value not in FIRST_MESSAGE:
            where = Source(name, data.line_of("first_message"))
            col.add(where, f"'first_message' must be one of: {', '.join(FIRST_MESSAGE)}")
        col.answer_first = value == "answer"
    _load_entities(col, name, data.get("entities"))
    _load_intents(col, name, data.get("intents"))
    _load_globals(col, name, data.get("globals"))
    _load_messages(col, name, data.get("messages"))
    _load_phrasings(col, name, data.get("phrasings"))
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
        if isinstance(spec, LineMap):
            for key in spec:
                if key not in INTENT_KEYS:
                    col.add(
                        Source(file, spec.line_of(key)), _unknown("intent key", key, INTENT_KEYS)
                    )
        if not NAME.match(name):
            col.add(src, f"intent name '{name}' must be letters, digits and underscores")
        if not isinstance(examples, list) or not examples:
            col.add(src, f"intent '{name}' needs a non-empty list of examples", "intent")
            continue
        if name in col.intents:
            other = col.intents[name].source
            col.add(src, f"intent '{name}' is already declared at {other}", "duplicate")
            continue
        label = spec.get("label") if isinstance(spec, LineMap) else None
        hint = spec.get("hint") if isinstance(spec, LineMap) else None
        about = spec.get("about") if isinstance(spec, LineMap) else None
        if about is not None and about not in INTENT_ABOUT:
            where = Source(file, spec.line_of("about")) if isinstance(spec, LineMap) else src
            col.add(where, f"intent '{name}': about must be one of {sorted(INTENT_ABOUT)}")
            about = None
        col.intents[name] = Intent(
            name,
            tuple(str(e) for e in examples),
            src,
            label=str(label) if label is not None else None,
            hint=str(hint) if hint is not None else None,
            about=str(about) if about is not None else None,
        )


def _load_entities(col: _Collector, file: str, data: Any) -> None:
    """`entities: {number: {kind: number}, ...}`: what flows may read as entities.NAME."""
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(file, line_of(data, 1)), "'entities' must map entity names to {kind: ...}")
        return
    for name, spec in data.items():
        src = Source(file, data.line_of(name))
        kind = spec.get("kind") if isinstance(spec, LineMap) else None
        if not NAME.match(str(name)):
            col.add(src, f"entity name '{name}' must be letters, digits and underscores")
            continue
        if kind not in ENTITY_KINDS:
            col.add(src, f"entity '{name}' needs a kind: " + ", ".join(sorted(ENTITY_KINDS)))
            continue
        if name in col.entities:
            other = col.entities[name].source
            col.add(src, f"entity '{name}' is already declared at {other}", "duplicate")
            continue
        col.entities[name] = EntityDecl(str(name), str(kind), src)


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


def _load_phrasings(col: _Collector, file: str, data: Any) -> None:
    """`phrasings: {explain: [...], otherwise: [...]}`: labelled whole messages."""
    if data is None:
        return
    if not isinstance(data, LineMap):
        col.add(Source(file, line_of(data, 1)), "'phrasings' must map intent names to messages")
        return
    for label, texts in data.items():
        src = Source(file, data.line_of(label))
        if not isinstance(texts, list) or not all(isinstance(t, str | int) for t in texts):
            col.add(src, f"phrasings of '{label}' must be a list of messages")
            continue
        if label in col.phrasings:
            col.add(src, f"phrasings of '{label}' are declared twice", "duplicate")
            continue
        col.phrasings[str(label)] = Phrasings(str(label), tuple(str(t) for t in texts), src)


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
        state = load_state(col, flow, name, spec, state_src)
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
        names = [s.removeprefix(f"{flow}.") for s in states]
        col.add(
            Source(file, data.line_of("start")),
            f"flow '{flow}' starts at unknown state '{start}'{did_you_mean(start, names)}",
            "unknown_target",
            flow=flow,
        )


__all__ = ["flow_files", "load_flows", "parse_duration", "problem_order", "qualify"]
