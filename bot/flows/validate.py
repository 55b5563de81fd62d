"""Checks over a loaded FlowSet. Each check returns its problems; `validate` runs them all."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

import jinja2

from bot.errors import Problem
from bot.flows.collisions import check_collisions
from bot.flows.entity_refs import check_entity_refs
from bot.flows.model import (
    OTHERWISE,
    PHRASED_OTHERWISE,
    FlowSet,
    Source,
    State,
    Transition,
    UnloadedFile,
)
from bot.flows.suggest import did_you_mean
from bot.flows.templates import TemplateCache
from bot.flows.variables import CONTEXT, ActionInfo, check_variables

DEFAULT_THRESHOLD = 78.0


@dataclass(frozen=True, slots=True)
class CheckContext:
    flows: FlowSet
    actions: Mapping[str, ActionInfo]
    templates: TemplateCache
    threshold: float = DEFAULT_THRESHOLD  # the intent matcher's (nlu.threshold)
    messages: Collection[str] | None = None  # the engine's message names; None: not checked


Check = Callable[[CheckContext], Iterator[Problem]]


def _problem(src: Source, message: str, code: str, state: State | None = None) -> Problem:
    return Problem(
        src.file,
        src.line,
        message,
        code,
        flow=state.flow if state else None,
        state=state.name if state else None,
    )


def _first_file(flows: FlowSet) -> Source:
    return Source(flows.files[0] if flows.files else "flows", 1)


def _unloaded_flow(fs: FlowSet, target: str) -> UnloadedFile | None:
    """The unreadable file ``target``'s flow may be declared in (its states are unknown)."""
    flow = target.partition(".")[0]
    if flow in fs.flows:
        return None
    return next((u for u in fs.unloaded if u.may_declare_flow(flow)), None)


def _unknown_state(fs: FlowSet, target: str) -> str:
    """What to say of a missing state: "unknown state 'x.y'", with the closest one if any."""
    flow = target.partition(".")[0]
    same_flow = [s.id for s in fs.flows[flow].states.values()] if flow in fs.flows else []
    ids = same_flow or [s.id for s in fs.all_states()]
    return f"unknown state '{target}'{did_you_mean(target, ids)}"


def check_targets(ctx: CheckContext) -> Iterator[Problem]:
    """Transitions, timeouts, globals and the entry naming a state that does not exist. A target
    in a flow whose file did not load is not reported: that file's own error says why."""
    fs = ctx.flows

    def missing(target: str) -> bool:
        return fs.state(target) is None and _unloaded_flow(fs, target) is None

    # No entry at all is reported unless an unread file may hold the flow it would come from.
    if missing(fs.start) if fs.start else not _black_boxes(fs):
        where = fs.entry_source or _first_file(fs)
        ids = [s.id for s in fs.all_states()]
        yield _problem(
            where,
            f"entry state '{fs.start}' does not exist{did_you_mean(fs.start, ids)}",
            "unknown_target",
        )
    for state in fs.all_states():
        for t in (*state.on, *state.then):
            if missing(t.target):
                yield _problem(
                    t.source,
                    f"state '{state.id}' goes to {_unknown_state(fs, t.target)}",
                    "unknown_target",
                    state,
                )
        if state.timeout and missing(state.timeout.target):
            yield _problem(
                state.timeout.source,
                f"state '{state.id}' times out to {_unknown_state(fs, state.timeout.target)}",
                "unknown_target",
                state,
            )
    for command in fs.globals.values():
        if command.target and missing(command.target):
            yield _problem(
                command.source,
                f"global '{command.intent}' goes to {_unknown_state(fs, command.target)}",
                "unknown_target",
            )


def _intents_unknown(fs: FlowSet) -> bool:
    """An unreadable file may declare intents: a name missing here may be declared there."""
    return any("intents" in u.keys for u in fs.unloaded)


def check_intents(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows
    if _intents_unknown(fs):
        return
    for state in fs.all_states():
        for t in state.on:
            if t.trigger != OTHERWISE and t.trigger not in fs.intents:
                yield _problem(
                    t.source,
                    f"state '{state.id}' uses unknown intent '{t.trigger}'"
                    + did_you_mean(t.trigger, fs.intents),
                    "unknown_intent",
                    state,
                )
    for command in fs.globals.values():
        if command.intent not in fs.intents:
            yield _problem(
                command.source,
                f"global '{command.intent}' has no intent with examples of that name"
                + did_you_mean(command.intent, fs.intents),
                "unknown_intent",
            )
    for phrased in fs.phrasings.values():
        if phrased.label != PHRASED_OTHERWISE and phrased.label not in fs.intents:
            known = [*fs.intents, PHRASED_OTHERWISE]
            yield _problem(
                phrased.source,
                f"phrasings of '{phrased.label}': no intent of that name (or '{PHRASED_OTHERWISE}')"
                + did_you_mean(phrased.label, known),
                "unknown_intent",
            )


def check_actions(ctx: CheckContext) -> Iterator[Problem]:
    for state in ctx.flows.all_states():
        for call in state.actions:
            if call.name not in ctx.actions:
                known = ", ".join(sorted(ctx.actions))
                yield _problem(
                    call.source,
                    f"state '{state.id}' calls unknown action '{call.name}' (known: {known})",
                    "unknown_action",
                    state,
                )


def check_action_args(ctx: CheckContext) -> Iterator[Problem]:
    for state in ctx.flows.all_states():
        for call in state.actions:
            params = ctx.actions[call.name].params if call.name in ctx.actions else frozenset()
            for key in call.args:
                if params and key not in params:
                    yield _problem(
                        call.source,
                        f"action '{call.name}' in '{state.id}' has no argument '{key}' "
                        f"(it takes: {', '.join(sorted(params))})",
                        "unknown_argument",
                        state,
                    )


def check_messages(ctx: CheckContext) -> Iterator[Problem]:
    if ctx.messages is None:
        return
    for name in ctx.flows.messages:
        where = ctx.flows.message_sources.get(name) or _first_file(ctx.flows)
        if name not in ctx.messages:
            yield _problem(
                where,
                f"unknown message '{name}' (the engine uses: {', '.join(sorted(ctx.messages))})",
                "unknown_message",
            )


def check_reserved_slots(ctx: CheckContext) -> Iterator[Problem]:
    """A slot named like a template variable (`text`, `user`...) would be hidden by it."""
    for state in ctx.flows.all_states():
        for call in state.actions:
            if call.name != "set":
                continue
            for key in sorted(CONTEXT & set(call.args)):
                yield _problem(
                    call.source,
                    f"'{state.id}' sets slot '{key}', a name templates use for something else "
                    f"({', '.join(sorted(CONTEXT))}): choose another name",
                    "reserved_slot",
                    state,
                )


def check_unset_variables(ctx: CheckContext) -> Iterator[Problem]:
    if _black_boxes(ctx.flows):
        return iter(())
    return check_variables(ctx.flows, ctx.actions, ctx.templates)


def check_entities(ctx: CheckContext) -> Iterator[Problem]:
    return check_entity_refs(ctx.flows)


def check_intent_collisions(ctx: CheckContext) -> Iterator[Problem]:
    return check_collisions(ctx.flows, ctx.threshold)


def check_templates(ctx: CheckContext) -> Iterator[Problem]:
    """Templates and conditions that do not parse, or use a filter or test Jinja does not have
    (Jinja only notices those when it renders, so every turn in the state would fail)."""
    fs = ctx.flows

    def parse(source: str, where: Source, state: State | None, what: str) -> Iterator[Problem]:
        try:
            unknown = ctx.templates.unknown_names(source)
        except jinja2.TemplateSyntaxError as exc:
            line = where.line + max((exc.lineno or 1) - 1, 0)
            yield _problem(
                Source(where.file, line),
                f"{what}: Jinja syntax error: {exc.message}",
                "jinja",
                state,
            )
            return
        for name in unknown:
            line = where.line + max(name.lineno - 1, 0)
            yield _problem(Source(where.file, line), f"{what}: {name}", "jinja", state)

    for state in fs.all_states():
        for index, text in enumerate(state.say):
            yield from parse(text, state.say_source(index), state, f"'say' of '{state.id}'")
        if state.help:
            yield from parse(state.help, state.help_source(), state, f"'help' of '{state.id}'")
        for call in state.actions:
            for key, value in call.args.items():
                if isinstance(value, str):
                    yield from parse(
                        value, call.source, state, f"argument '{key}' of '{call.name}'"
                    )
        for t in (*state.on, *state.then):
            if t.when is not None:
                yield from _check_condition(ctx, t.when, t.source, state)
        for choice in state.choices:
            what = f"choice of '{state.id}'"
            yield from parse(choice.label, choice.source, state, f"'label' of a {what}")
            yield from parse(choice.value, choice.source, state, f"'value' of a {what}")
            if choice.when is not None:
                yield from _check_condition(ctx, choice.when, choice.source, state)
            if choice.each is not None:
                yield from _check_condition(ctx, choice.each[1], choice.source, state)
    for command in fs.globals.values():
        if command.say:
            yield from parse(
                command.say, command.source, None, f"'say' of global '{command.intent}'"
            )
    for name, text in fs.messages.items():
        where = fs.message_sources.get(name) or _first_file(fs)
        yield from parse(text, where, None, f"message '{name}'")


def _check_condition(
    ctx: CheckContext, when: str, where: Source, state: State
) -> Iterator[Problem]:
    try:
        ctx.templates.check_expression(when)
    except jinja2.TemplateSyntaxError as exc:
        yield _problem(where, f"condition '{when}': {exc.message}", "jinja", state)
        return
    for name in ctx.templates.unknown_names(f"{{{{ ({when}) }}}}"):
        yield _problem(where, f"condition '{when}': {name}", "jinja", state)


def _targets(fs: FlowSet) -> list[str]:
    """Every state named as a target: transitions, timeouts, global commands, the entry."""
    targets = [t.target for s in fs.all_states() for t in (*s.on, *s.then)]
    targets += [s.timeout.target for s in fs.all_states() if s.timeout]
    targets += [c.target for c in fs.globals.values() if c.target]
    return [*targets, fs.start] if fs.start else targets


def _black_boxes(fs: FlowSet) -> list[UnloadedFile]:
    """Unreadable files the conversation can pass through: a transition goes into their flow, or
    they may hold global commands or the entry (the first flow's start, when no other loaded).
    From there any state may be reached and any slot set, so "unreachable" and "no path sets
    it" would blame states that are fine."""
    into = [t for t in _targets(fs) if fs.state(t) is None]
    entry_keys = {"globals", "entry"} if fs.start else {"globals", "entry", "flow", "states"}
    return [
        u
        for u in fs.unloaded
        if entry_keys & u.keys or any(_unloaded_flow(fs, t) is u for t in into)
    ]


def check_reachable(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows
    if _black_boxes(fs) or fs.state(fs.start) is None:
        return  # what a missing entry state (reported) or an unread file would reach is unknown
    roots = [fs.start, *(c.target for c in fs.globals.values() if c.target)]
    seen: set[str] = set()
    todo = [r for r in roots if r]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        state = fs.state(current)
        if state is None:
            continue
        todo.extend(t.target for t in (*state.on, *state.then))
        if state.timeout:
            todo.append(state.timeout.target)
    for state in fs.all_states():
        if state.id not in seen:
            yield _problem(
                state.source,
                f"state '{state.id}' cannot be reached from the entry state '{fs.start}'",
                "unreachable",
                state,
            )


def check_dead_ends(ctx: CheckContext) -> Iterator[Problem]:
    for state in ctx.flows.all_states():
        if not state.on and not state.then and not state.final:
            yield _problem(
                state.source,
                f"state '{state.id}' has no way out: add 'on' or 'then' entries, or 'final: true'",
                "dead_end",
                state,
            )


def check_then_loops(ctx: CheckContext) -> Iterator[Problem]:
    """`then` entries that lead back to where they started without waiting for a message.

    A state's first `then` entry without `when` is always taken when the entries before it do
    not apply. A cycle of such entries loops until the engine gives up and the turn fails with
    the "error" message. It is reported when it surely loops: each state's first entry has no
    `when`, or no state on the cycle runs an action, so the conditions that failed once (nothing
    changed the slots since) fail on every round."""
    fs = ctx.flows
    forced: dict[str, Transition] = {}
    for state in fs.all_states():
        unconditional = next((t for t in state.then if t.when is None), None)
        if unconditional is not None:
            forced[state.id] = unconditional
    done: set[str] = set()
    for start in forced:
        path: list[str] = []
        current = start
        while current in forced and current not in done and current not in path:
            path.append(current)
            current = forced[current].target
        done.update(path)
        if current not in path:
            continue
        cycle = path[path.index(current) :]
        states = [s for s in (fs.state(sid) for sid in cycle) if s is not None]
        always = all(s.then[0].when is None for s in states)
        if not always and any(s.actions for s in states):
            continue
        first = states[0]
        loop = " -> ".join([*cycle, cycle[0]])
        when = "" if always else " when none of the 'when' entries before it holds"
        yield _problem(
            forced[first.id].source,
            f"'then' of '{first.id}' comes back without waiting for a message ({loop}){when}: "
            "the turn would fail with the error reply; add a 'when', or let a state on the way "
            "wait for a message ('on')",
            "then_loop",
            first,
        )


def check_unloaded(ctx: CheckContext) -> Iterator[Problem]:
    """Say once, at each unreadable file, what could not be checked because of it."""
    fs = ctx.flows
    into = [t for t in _targets(fs) if fs.state(t) is None]
    used = {t.trigger for s in fs.all_states() for t in s.on if t.trigger != OTHERWISE}
    undeclared = sorted((used | set(fs.globals)) - set(fs.intents))
    black_boxes = _black_boxes(fs)
    for unloaded in fs.unloaded:
        skipped = []
        count = sum(_unloaded_flow(fs, t) is unloaded for t in into)
        if count:
            flow = f"flow '{unloaded.flow}'" if unloaded.flow else "its states"
            skipped.append(f"{count} transition(s) into {flow}")
        if "intents" in unloaded.keys and undeclared:
            skipped.append(f"intents not declared elsewhere ({', '.join(undeclared)})")
        if unloaded in black_boxes:
            skipped.append("unreachable states, unset template variables")
        if skipped:
            yield Problem(
                unloaded.source.file,
                unloaded.source.line,
                f"not checked while this file does not load: {'; '.join(skipped)}",
                "not_checked",
                severity="warning",
            )


CHECKS: tuple[Check, ...] = (
    check_targets,
    check_intents,
    check_actions,
    check_action_args,
    check_reserved_slots,
    check_messages,
    check_templates,
    check_reachable,
    check_dead_ends,
    check_then_loops,
    check_unloaded,
    check_unset_variables,
    check_intent_collisions,
    check_entities,
)


def validate(
    flows: FlowSet,
    *,
    actions: Collection[str] | Mapping[str, ActionInfo],
    templates: TemplateCache | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    messages: Collection[str] | None = None,
    checks: tuple[Check, ...] = CHECKS,
) -> list[Problem]:
    """Every problem the checks find, sorted by file and line. ``actions`` maps the registered
    action names to what is known of them (a plain collection of names knows nothing more)."""
    infos = (
        dict(actions) if isinstance(actions, Mapping) else {name: ActionInfo() for name in actions}
    )
    ctx = CheckContext(flows, infos, templates or TemplateCache(), threshold, messages)
    problems = [p for check in checks for p in check(ctx)]
    return sorted(problems, key=lambda p: (p.file, p.line, p.message))
