"""`answer_question` and `explain_result`: answers about the code, by a language model (or, with
none, from the search results: bot/actions/answering.py).

What they need of the language models is imported when one of them first runs, so a conversation
that asks nothing about the code does not load it.
"""

from __future__ import annotations

from bot.actions.search import SEARCH_SLOTS
from bot.engine.actions import ActionContext, ActionRegistry


async def answer_question(ctx: ActionContext) -> None:
    """`answer_question: {question?, repo?}`: search the repository for the question (default: the
    user's message) and answer from the best snippets, citing path:line. Sets `results`."""
    from bot.actions import answering

    await answering.answer_question(ctx)


async def explain_result(ctx: ActionContext) -> None:
    """`explain_result: {number?}`: explain result N of the last search (N from the argument, the
    message's number, or 1 when there is a single result), or say why not in `explain_error`."""
    from bot.actions import answering

    await answering.explain_result(ctx)


def register(registry: ActionRegistry) -> None:
    registry.register(
        "answer_question",
        answer_question,
        params=frozenset({"question", "repo"}),
        doc=answer_question.__doc__ or "",
        sets=(SEARCH_SLOTS - {"search_error"}) | {"cited"},
    )
    registry.register(
        "explain_result",
        explain_result,
        params=frozenset({"number"}),
        doc=explain_result.__doc__ or "",
        sets=frozenset({"opened", "explain_error"}),
    )
