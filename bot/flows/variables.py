"""Template variables that no path into a state sets (a typo like ``{{ qeury }}`` renders empty).

A may-analysis over the flow graph: the slots a state can see are those set by some path from the
entry state (or by a global command's jump, from anywhere), plus what its own actions set. An
action registered without `sets` may set anything, which turns the check off after it. An action
that sets the slot one of its arguments names (`classify: {slot: topic}`) declares
``slot_argument("slot", default="intent")`` among its `sets`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import jinja2
from jinja2 import nodes

from bot.errors import Problem
from bot.flows.model import FlowSet, Source, State
from bot.flows.templates import TemplateCache

# Always in the template context (see Conversation.template_context).
CONTEXT = frozenset({"slots", "text", "entities", "intent", "user", "repos"})
ANY = "*"  # an action that may set any slot
KEPT_ON_INACTIVITY = frozenset({"repo"})
# In an action's `sets`: "the slot named by argument ARG, DEFAULT when it is not given".
_ARGUMENT_SLOT = re.compile(r"^\{(\w+)=(\w+)\}$")
_SLOT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def slot_argument(argument: str, *, default: str) -> str:
    """The `sets` entry of an action that sets the slot its ``argument`` names (``default`` when
    the flow leaves it out). Written as ``{argument=default}``, which no slot name can be."""
    return f"{{{argument}={default}}}"


def _resolve(name: str, args: Mapping[str, object]) -> str:
    """A `sets` entry for one call: a slot name as is; an argument's slot as the flow names it
    (any slot when the flow computes it with a template, since it is known only at run time)."""
    found = _ARGUMENT_SLOT.match(name)
    if found is None:
        return name
    value = args.get(found.group(1))
    if not value:
        return found.group(2)
    text = str(value)
    return text if _SLOT_NAME.match(text) else ANY


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What validation knows of an action: its parameters (empty: any) and the slots it sets
    (None: unknown, it may set anything)."""

    params: frozenset[str] = frozenset()
    sets: frozenset[str] | None = None


def action_sets(state: State, actions: Mapping[str, ActionInfo]) -> list[frozenset[str]]:
    """The slots set by each of the state's actions, in order."""
    out = []
    for call in state.actions:
        info = actions.get(call.name, ActionInfo())
        if call.name == "set":
            out.append(frozenset(str(k) for k in call.args))
        elif info.sets is None:
            out.append(frozenset({ANY}))
        else:
            out.append(frozenset(_resolve(name, call.args) for name in info.sets))
    return out


def reaching(flows: FlowSet, actions: Mapping[str, ActionInfo]) -> dict[str, frozenset[str]]:
    """For each state, the slots some path into it may have set (before its own actions)."""
    states = {s.id: s for s in flows.all_states()}
    own = {sid: frozenset().union(*action_sets(s, actions)) for sid, s in states.items()}
    into: dict[str, set[str]] = {sid: set() for sid in states}
    changed = True
    while changed:
        changed = False
        anywhere = set().union(*(into[s] | own[s] for s in states))
        for sid, state in states.items():
            out = into[sid] | own[sid]
            targets = [t.target for t in (*state.on, *state.then)]
            if state.timeout:
                targets.append(state.timeout.target)
            changed |= _flow(into, targets, out)
        for command in flows.globals.values():
            if command.target:
                seen = {k for k in anywhere if k in command.keep} if command.reset else anywhere
                changed |= _flow(into, [command.target], seen)
        if flows.start in into:
            changed |= _flow(into, [flows.start], anywhere & KEPT_ON_INACTIVITY)
    return {sid: frozenset(v) for sid, v in into.items()}


def _flow(into: dict[str, set[str]], targets: list[str], names: set[str] | frozenset[str]) -> bool:
    changed = False
    for target in targets:
        found = into.get(target)
        if found is not None and not names <= found:
            found |= names
            changed = True
    return changed


def used(templates: TemplateCache, source: str, *, expression: bool = False) -> set[str]:
    """The names a template reads and does not set itself (loop variables, `set`)."""
    text = f"{{{{ ({source}) }}}}" if expression else source
    try:
        tree = templates.parse(text)
    except jinja2.TemplateSyntaxError:
        return set()  # reported by the syntax check
    loads: set[str] = set()
    stores: set[str] = set()
    for name in tree.find_all(nodes.Name):
        (stores if name.ctx in {"store", "param"} else loads).add(name.name)
    return loads - stores - set(templates.env.globals)


def check_variables(
    flows: FlowSet, actions: Mapping[str, ActionInfo], templates: TemplateCache
) -> Iterator[Problem]:
    into = reaching(flows, actions)
    everywhere = set().union(*into.values()) | {
        name for s in flows.all_states() for sets in action_sets(s, actions) for name in sets
    }
    for state in flows.all_states():
        seen = set(into[state.id])
        uses: list[tuple[str, set[str], Source]] = []
        for call, sets in zip(state.actions, action_sets(state, actions), strict=True):
            for key, value in call.args.items():
                if isinstance(value, str):
                    uses.append(
                        (f"argument '{key}' of '{call.name}'", used(templates, value), call.source)
                    )
            uses = _report(uses, seen)
            yield from _problems(state, uses, everywhere)
            uses = []
            seen |= sets
        for index, text in enumerate(state.say):
            uses.append((f"'say' of '{state.id}'", used(templates, text), state.say_source(index)))
        if state.help:
            uses.append(
                (f"'help' of '{state.id}'", used(templates, state.help), state.help_source())
            )
        for t in (*state.on, *state.then):
            if t.when is not None:
                uses.append(
                    (f"condition '{t.when}'", used(templates, t.when, expression=True), t.source)
                )
        yield from _problems(state, _report(uses, seen), everywhere)


def _report(
    uses: list[tuple[str, set[str], Source]], seen: set[str]
) -> list[tuple[str, set[str], Source]]:
    if ANY in seen:
        return []
    known = seen | CONTEXT
    return [(what, names - known, src) for what, names, src in uses if names - known]


def _problems(
    state: State, uses: list[tuple[str, set[str], Source]], everywhere: set[str]
) -> Iterator[Problem]:
    for what, names, src in uses:
        for name in sorted(names):
            if name in everywhere:
                why = "which no path into this state sets"
            else:
                why = "which nothing sets"
                close = difflib.get_close_matches(name, sorted(everywhere | CONTEXT), n=1)
                if close:
                    why += f" (did you mean '{close[0]}'?)"
            yield Problem(
                src.file,
                src.line,
                f"{what} uses '{name}', {why}",
                "unset_variable",
                flow=state.flow,
                state=state.name,
                severity="warning",
            )
