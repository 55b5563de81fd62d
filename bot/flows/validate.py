"""Checks over a loaded FlowSet. Each check returns its problems; `validate` runs them all."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

import jinja2

from bot.errors import Problem
from bot.flows.collisions import check_collisions
from bot.flows.model import OTHERWISE, FlowSet, Source, State
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


def check_targets(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows
    if not fs.start or fs.state(fs.start) is None:
        where = Source(fs.files[0] if fs.files else "flows", 1)
        yield _problem(where, f"entry state '{fs.start}' does not exist", "unknown_target")
    for state in fs.all_states():
        for t in (*state.on, *state.then):
            if fs.state(t.target) is None:
                yield _problem(
                    t.source,
                    f"state '{state.id}' goes to unknown state '{t.target}'",
                    "unknown_target",
                    state,
                )
        if state.timeout and fs.state(state.timeout.target) is None:
            yield _problem(
                state.timeout.source,
                f"state '{state.id}' times out to unknown state '{state.timeout.target}'",
                "unknown_target",
                state,
            )
    for command in fs.globals.values():
        if command.target and fs.state(command.target) is None:
            yield _problem(
                command.source,
                f"global '{command.intent}' goes to unknown state '{command.target}'",
                "unknown_target",
            )


def check_intents(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows
    for state in fs.all_states():
        for t in state.on:
            if t.trigger != OTHERWISE and t.trigger not in fs.intents:
                yield _problem(
                    t.source,
                    f"state '{state.id}' uses unknown intent '{t.trigger}'",
                    "unknown_intent",
                    state,
                )
    for command in fs.globals.values():
        if command.intent not in fs.intents:
            yield _problem(
                command.source,
                f"global '{command.intent}' has no intent with examples of that name",
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
    return check_variables(ctx.flows, ctx.actions, ctx.templates)


def check_intent_collisions(ctx: CheckContext) -> Iterator[Problem]:
    return check_collisions(ctx.flows, ctx.threshold)


def check_templates(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows

    def parse(source: str, where: Source, state: State | None, what: str) -> Iterator[Problem]:
        try:
            ctx.templates.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            line = where.line + max((exc.lineno or 1) - 1, 0)
            yield _problem(
                Source(where.file, line),
                f"{what}: Jinja syntax error: {exc.message}",
                "jinja",
                state,
            )

    for state in fs.all_states():
        for text in state.say:
            yield from parse(text, state.source_of("say"), state, f"'say' of '{state.id}'")
        if state.help:
            yield from parse(state.help, state.source_of("help"), state, f"'help' of '{state.id}'")
        for call in state.actions:
            for key, value in call.args.items():
                if isinstance(value, str):
                    yield from parse(
                        value, call.source, state, f"argument '{key}' of '{call.name}'"
                    )
        for t in (*state.on, *state.then):
            if t.when is not None:
                try:
                    ctx.templates.check_expression(t.when)
                except jinja2.TemplateSyntaxError as exc:
                    yield _problem(t.source, f"condition '{t.when}': {exc.message}", "jinja", state)
    for command in fs.globals.values():
        if command.say:
            yield from parse(
                command.say, command.source, None, f"'say' of global '{command.intent}'"
            )
    for name, text in fs.messages.items():
        where = fs.message_sources.get(name) or _first_file(fs)
        yield from parse(text, where, None, f"message '{name}'")


def check_reachable(ctx: CheckContext) -> Iterator[Problem]:
    fs = ctx.flows
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
    check_unset_variables,
    check_intent_collisions,
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
