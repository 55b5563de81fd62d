"""Every action a flow may call on entering a state (`do:`), and the default list of them.

An action is ``async def action(ctx: ActionContext) -> None`` (bot/engine/actions.py): it reads
the turn (text, entities, slots, the sender's repositories) and reaches search, the language
model, settings and the clock only through ``ctx.ports`` (bot/engine/ports.py).
"""

from __future__ import annotations

from bot.actions import answer, classify, repos, search, slots
from bot.engine.actions import ActionRegistry


def default_actions() -> ActionRegistry:
    """A registry holding every shipped action; flows are validated against its names."""
    registry = ActionRegistry()
    for module in (slots, repos, search, answer, classify):
        module.register(registry)
    return registry
