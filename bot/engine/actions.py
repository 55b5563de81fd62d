"""The actions flows may call on entering a state (`do:`), and what an action can see and do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.store.base import Session

if TYPE_CHECKING:
    from bot.engine.ports import TurnPorts


@dataclass(slots=True)
class ActionContext:
    """What an action sees. Actions replace slot values (``ctx.slots["results"] = [...]``) and
    never change a value in place: the "back" history shares values with the live slots."""

    session: Session
    text: str  # the user's message this turn
    args: Mapping[str, Any]  # the action's arguments from the flow, already rendered
    ports: TurnPorts  # search, llm, settings, clock, history, repository listing
    entities: Mapping[str, Any] = field(default_factory=dict)
    repos: tuple[str, ...] = ()  # the repositories this sender may read: the only ones to use
    replies: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # recorded with the turn (provider, tokens)

    @property
    def slots(self) -> dict[str, Any]:
        return self.session.slots

    def say(self, text: str) -> None:
        if text.strip():
            self.replies.append(text.strip())


Action = Callable[[ActionContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    fn: Action
    params: frozenset[str]
    doc: str
    render_args: bool  # render string arguments as Jinja before the call
    sets: frozenset[str] | None = None  # the slots it may set (None: unknown); for validation


class ActionRegistry:
    """Name -> action. Flows are validated against the names registered here."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionSpec] = {}

    def register(
        self,
        name: str,
        fn: Action,
        *,
        params: frozenset[str] = frozenset(),
        doc: str = "",
        render_args: bool = True,
        sets: frozenset[str] | None = None,
    ) -> None:
        if name in self._actions:
            raise ValueError(f"action '{name}' is registered twice")
        self._actions[name] = ActionSpec(name, fn, params, doc, render_args, sets)

    def get(self, name: str) -> ActionSpec | None:
        return self._actions.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._actions)

    def specs(self) -> list[ActionSpec]:
        return sorted(self._actions.values(), key=lambda s: s.name)
