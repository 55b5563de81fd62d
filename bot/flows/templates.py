"""The Jinja environment for flow texts: replies (`say`, `help`), conditions, action arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.nodes import Template as TemplateNode
from jinja2.parser import Parser

from bot.flows.suggest import did_you_mean

Condition = Callable[[Mapping[str, Any]], bool]
# Filters that take the name of another filter or test as a string: map('lower'), select('odd').
_NAMED_BY_ARGUMENT: Mapping[str, tuple[int, str]] = {
    "map": (0, "filter"),
    "select": (0, "test"),
    "reject": (0, "test"),
    "selectattr": (1, "test"),
    "rejectattr": (1, "test"),
}


@dataclass(frozen=True, slots=True)
class UnknownName:
    """A filter or test a template uses that the environment does not have. Jinja only notices
    when the template is compiled or run, so a parse alone lets it through."""

    kind: str  # "filter" | "test"
    name: str
    lineno: int  # within the template, from 1
    suggestion: str  # " (did you mean 'upper'?)" or ""

    def __str__(self) -> str:
        return f"unknown {self.kind} '{self.name}'{self.suggestion}"


def unknown_names(env: jinja2.Environment, tree: nodes.Node) -> Iterator[UnknownName]:
    """Every filter and test ``tree`` uses by name that ``env`` does not define."""
    known = {"filter": env.filters, "test": env.tests}

    def check(kind: str, name: str, lineno: int) -> Iterator[UnknownName]:
        if name not in known[kind]:
            yield UnknownName(kind, name, lineno, did_you_mean(name, known[kind]))

    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        yield from check(kind, node.name, node.lineno)
        if kind == "filter" and node.name in _NAMED_BY_ARGUMENT:
            position, named = _NAMED_BY_ARGUMENT[node.name]
            arg = node.args[position] if position < len(node.args) else None
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                yield from check(named, arg.value, node.lineno)


def _shorten(value: Any, width: int = 120) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=False,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["shorten"] = _shorten
    return env


class TemplateCache:
    """Compiles each distinct source once per flow version."""

    def __init__(self, env: jinja2.Environment | None = None) -> None:
        self.env = env or make_environment()
        self._templates: dict[str, jinja2.Template] = {}
        self._conditions: dict[str, Condition] = {}
        self._expressions: dict[str, Any] = {}
        self._parsed: dict[str, TemplateNode] = {}
        self._checked: set[str] = set()

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        if "{" not in source and "\r" not in source:
            # No tag, expression or comment (nor a newline for Jinja to normalise): the text
            # renders as itself. Most choice labels and values are such; compiling each cost
            # 0.15-0.2 ms, 1 ms of a terminal chat's first reply (its menu).
            return source.strip()
        template = self._templates.get(source)
        if template is None:
            template = self._templates[source] = self.env.from_string(source)
        return template.render(context).strip()

    def condition(self, expression: str) -> Condition:
        found = self._conditions.get(expression)
        if found is None:
            compiled = self.env.compile_expression(expression, undefined_to_none=True)

            def found(context: Mapping[str, Any], _c: Any = compiled) -> bool:
                return bool(_c(**context))

            self._conditions[expression] = found
        return found

    def expression(self, expression: str) -> Callable[[Mapping[str, Any]], Any]:
        compiled = self._expressions.get(expression)
        if compiled is None:
            compiled = self._expressions[expression] = self.env.compile_expression(
                expression, undefined_to_none=True
            )
        return lambda context: compiled(**context)

    def parse(self, source: str) -> TemplateNode:
        """Raise jinja2.TemplateSyntaxError when ``source`` is not a valid template."""
        found = self._parsed.get(source)
        if found is None:
            found = self._parsed[source] = self.env.parse(source)
        return found

    def unknown_names(self, source: str) -> list[UnknownName]:
        """The unknown filters and tests of a template that parses (see ``parse``)."""
        return list(unknown_names(self.env, self.parse(source)))

    def check_expression(self, expression: str) -> None:
        """Raise jinja2.TemplateSyntaxError when ``expression`` is not one valid expression
        (parsed as `compile_expression` does, without compiling it)."""
        if expression in self._checked:
            return
        parser = Parser(self.env, expression, state="variable")
        parser.parse_expression()
        if not parser.stream.eos:
            raise jinja2.TemplateSyntaxError(
                "chunk after expression", parser.stream.current.lineno, None, None
            )
        self._checked.add(expression)
