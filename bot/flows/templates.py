"""The Jinja environment for flow texts: replies (`say`, `help`), conditions, action arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.nodes import Template as TemplateNode
from jinja2.parser import Parser

Condition = Callable[[Mapping[str, Any]], bool]


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
