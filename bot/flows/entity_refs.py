"""`entities.NAME` in flow texts and conditions must name an entity declared under `entities:`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import jinja2
from jinja2 import nodes

from bot.errors import Problem
from bot.flows.model import FlowSet, Source
from bot.flows.suggest import did_you_mean

# What the engine hands flows when a flow set declares no `entities:` at all.
DEFAULT_ENTITIES = {"number": "number", "repo": "repo", "ref": "reference", "query": "query"}


@dataclass(frozen=True, slots=True)
class _Text:
    source: str
    where: Source
    what: str


def declared_entities(flows: FlowSet) -> dict[str, str]:
    """Entity name -> kind: the declared ones, or the defaults when none is declared."""
    if not flows.entities:
        return dict(DEFAULT_ENTITIES)
    return {name: decl.kind for name, decl in flows.entities.items()}


def _texts(flows: FlowSet) -> Iterator[_Text]:
    for state in flows.all_states():
        for i, say in enumerate(state.say):
            yield _Text(say, state.say_source(i), f"'say' of '{state.id}'")
        if state.help:
            yield _Text(state.help, state.help_source(), f"'help' of '{state.id}'")
        for call in state.actions:
            for key, value in call.args.items():
                if isinstance(value, str):
                    yield _Text(value, call.source, f"argument '{key}' of '{call.name}'")
        for t in (*state.on, *state.then):
            if t.when is not None:
                yield _Text(f"{{{{ ({t.when}) }}}}", t.source, f"condition '{t.when}'")
    for command in flows.globals.values():
        if command.say:
            yield _Text(command.say, command.source, f"'say' of global '{command.intent}'")


def check_entity_refs(flows: FlowSet) -> Iterator[Problem]:
    known = declared_entities(flows)
    env = jinja2.Environment()
    for text in _texts(flows):
        try:
            tree = env.parse(text.source)
        except jinja2.TemplateSyntaxError:
            continue  # reported by the template check
        for name, lineno in _entity_names(tree):
            if name in known:
                continue
            line = text.where.line + max(lineno - 1, 0)
            yield Problem(
                text.where.file,
                line,
                f"{text.what}: unknown entity '{name}'{did_you_mean(name, known)}"
                f" (declared: {', '.join(sorted(known))})",
                "unknown_entity",
            )


def _entity_names(tree: nodes.Node) -> Iterator[tuple[str, int]]:
    for attr in tree.find_all(nodes.Getattr):
        assert isinstance(attr, nodes.Getattr)
        if isinstance(attr.node, nodes.Name) and attr.node.name == "entities":
            yield attr.attr, attr.lineno
    for item in tree.find_all(nodes.Getitem):
        assert isinstance(item, nodes.Getitem)
        if not (isinstance(item.node, nodes.Name) and item.node.name == "entities"):
            continue
        if isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            yield item.arg.value, item.lineno
