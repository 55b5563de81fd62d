"""`classify`: which of a few intents the user's message means, by the language model."""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.actions import ActionContext, ActionRegistry
from bot.flows.variables import slot_argument


async def classify(ctx: ActionContext) -> None:
    """`classify: {intents: [name, ...] or {name: example}, slot?: intent}`: the intent the
    user's message means, by the language model, in slot `slot`; removed when unsure or local."""
    from bot.actions.answering import charge  # the language-model parts, when first needed
    from bot.llm.classify import classify_with_cost
    from bot.llm.usage import spent_today

    raw = ctx.args.get("intents") or []
    pairs = list(raw.items()) if isinstance(raw, Mapping) else [(str(n), str(n)) for n in raw]
    slot = str(ctx.args.get("slot") or "intent")
    spent = spent_today(ctx.session.context, ctx.ports.clock())
    picked, completion = await classify_with_cost(ctx.ports.llm, ctx.text, pairs, spent)
    if completion is not None:
        charge(ctx, completion)
    if picked is None:
        ctx.slots.pop(slot, None)
    else:
        ctx.slots[slot] = picked


def register(registry: ActionRegistry) -> None:
    registry.register(
        "classify",
        classify,
        params=frozenset({"intents", "slot"}),
        doc=classify.__doc__ or "",
        sets=frozenset({slot_argument("slot", default="intent")}),
    )
