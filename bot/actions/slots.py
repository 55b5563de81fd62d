"""`set` and `clear`: slot values written by the flow itself."""

from __future__ import annotations

from bot.engine.actions import ActionContext, ActionRegistry


async def set_slots(ctx: ActionContext) -> None:
    """`set: {slot: value}`: values are rendered; "{{ expr }}" keeps the expression's type."""
    for key, value in ctx.args.items():
        ctx.slots[key] = value


async def clear_slots(ctx: ActionContext) -> None:
    """`clear: [slot, ...]` (or a single name)."""
    names = ctx.args.get("value", list(ctx.args))
    for name in [names] if isinstance(names, str) else names:
        ctx.slots.pop(str(name), None)


def register(registry: ActionRegistry) -> None:
    registry.register("set", set_slots, doc=set_slots.__doc__ or "", sets=frozenset())
    registry.register(
        "clear", clear_slots, doc=clear_slots.__doc__ or "", render_args=False, sets=frozenset()
    )
