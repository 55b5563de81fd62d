"""One state of a flow file: `say`, `do`, `on`, `then`, `timeout` and the rest."""

from __future__ import annotations

import re
from typing import Any, Protocol

from bot.flows.model import (
    AUTO,
    OTHERWISE,
    ActionCall,
    ChoiceSpec,
    Source,
    State,
    Timeout,
    Transition,
)
from bot.flows.yamlsrc import LineList, LineMap, line_of

STATE_KEYS = frozenset(
    {"say", "do", "on", "then", "help", "final", "timeout", "description", "choices"}
)
CHOICE_KEYS = frozenset({"label", "value", "when", "for"})
EACH = re.compile(r"^\s*([A-Za-z_]\w*)\s+in\s+(\S.*?)\s*$", re.DOTALL)
ON_KEYS = frozenset({"intent", "to", "when", "otherwise"})
THEN_KEYS = frozenset({"to", "when"})
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$")
UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class Report(Protocol):
    def add(
        self,
        source: Source,
        message: str,
        code: str = "invalid",
        *,
        flow: str | None = None,
        state: str | None = None,
    ) -> None: ...


def unknown(what: str, key: str, known: frozenset[str]) -> str:
    return f"unknown {what} '{key}' (expected one of: {', '.join(sorted(known))})"


def qualify(flow: str, target: str) -> str:
    return target if "." in target else f"{flow}.{target}"


def load_state(col: Report, flow: str, name: str, spec: Any, src: Source) -> State | None:
    if spec is None:
        spec = LineMap()
    if not isinstance(spec, LineMap):
        col.add(src, f"state '{flow}.{name}' must be a mapping", flow=flow, state=name)
        return None
    for key in spec:
        if key not in STATE_KEYS:
            col.add(
                Source(src.file, spec.line_of(key)),
                f"state '{flow}.{name}': " + unknown("state key", key, STATE_KEYS),
                flow=flow,
                state=name,
            )
    say = spec.get("say")
    says = tuple(str(s) for s in say) if isinstance(say, list) else ((str(say),) if say else ())
    if isinstance(say, LineList):
        say_lines = tuple(getattr(say, "item_lines", ()))
    else:
        say_lines = (spec.text_line_of("say"),) if says else ()
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
        say_lines=say_lines,
        help_line=spec.text_line_of("help") if "help" in spec else None,
        choices=_load_choices(col, flow, name, spec.get("choices"), src),
    )


def _load_actions(
    col: Report, flow: str, state: str, data: Any, src: Source
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


def _load_on(col: Report, flow: str, state: str, data: Any, src: Source) -> tuple[Transition, ...]:
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
    col: Report, flow: str, state: str, data: Any, src: Source
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
    col: Report, flow: str, state: str, data: Any, src: Source, what: str, keys: frozenset[str]
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
                    f"state '{flow}.{state}': " + unknown(f"'{what}' key", key, keys),
                    flow=flow,
                    state=state,
                )
        out.append((item, where))
    return out


def _load_choices(
    col: Report, flow: str, state: str, data: Any, src: Source
) -> tuple[ChoiceSpec, ...]:
    out: list[ChoiceSpec] = []
    for item, where in _entries(col, flow, state, data, src, "choices", CHOICE_KEYS):
        label, value = item.get("label"), item.get("value")
        if label is None or value is None or not str(label).strip() or not str(value).strip():
            col.add(where, "a 'choices' entry needs 'label' and 'value'", flow=flow, state=state)
            continue
        each = None
        if "for" in item:
            loop = EACH.match(str(item["for"]))
            if loop is None:
                col.add(
                    where,
                    f"'for' must read 'NAME in LIST' (like 'r in repos'), got {item['for']!r}",
                    flow=flow,
                    state=state,
                )
                continue
            each = (loop.group(1), loop.group(2))
        when = item.get("when")
        out.append(
            ChoiceSpec(
                label=str(label),
                value=str(value),
                when=str(when) if when is not None else None,
                each=each,
                source=where,
            )
        )
    return tuple(out)


def _load_timeout(col: Report, flow: str, state: str, data: Any, src: Source) -> Timeout | None:
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
