"""A state's `choices:` rendered for one turn: the buttons or list items its reply offers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.engine.reply import Choice
from bot.flows.model import ChoiceSpec
from bot.flows.templates import TemplateCache

# More than any channel shows at once (Slack: 25 buttons in one block); a list longer than
# this is cut here rather than refused by a channel's API.
MAX_CHOICES = 25


def render_choices(
    specs: Iterable[ChoiceSpec], context: Mapping[str, Any], templates: TemplateCache
) -> tuple[Choice, ...]:
    """Each entry whose `when` holds, once per item of its `for` list; a choice whose label or
    value renders empty is left out, and so is a value already offered."""
    out: dict[str, Choice] = {}
    for spec in specs:
        for scope in _scopes(spec, context, templates):
            if spec.when is not None and not templates.condition(spec.when)(scope):
                continue
            label = templates.render(spec.label, scope)
            value = templates.render(spec.value, scope)
            if label and value and value not in out:
                out[value] = Choice(label=" ".join(label.split()), value=value)
    return tuple(out.values())[:MAX_CHOICES]


def _scopes(
    spec: ChoiceSpec, context: Mapping[str, Any], templates: TemplateCache
) -> Iterable[Mapping[str, Any]]:
    if spec.each is None:
        return (context,)
    name, expression = spec.each
    items = templates.expression(expression)(context)
    if not isinstance(items, Iterable) or isinstance(items, str | bytes | Mapping):
        return ()
    return ({**context, name: item} for item in list(items)[:MAX_CHOICES])


def clarify_choices(command: str, text: str) -> tuple[Choice, ...]:
    """The clarifying question's two answers: 1, the command; 2, a search for the text."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    return (Choice(label=command, value="1"), Choice(label=f"Search “{shown}”", value="2"))
