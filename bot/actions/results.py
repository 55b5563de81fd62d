"""The slots a search leaves behind, dropped in one place once they describe nothing any more:
before the next search, and when the repository changes."""

from __future__ import annotations

from bot.engine.actions import ActionContext

# What described the last search's results (and an opened one).
RESULT_SLOTS = (
    "search_error", "search_note", "results", "shown", "more_available", "no_more", "opened",
    "snippet", "open_error", "explain_error", "cited",
)  # fmt: skip
# The search itself: what was asked and where its paging stood.
QUERY_SLOTS = ("query", "page", "total")


def forget_results(ctx: ActionContext, *, and_query: bool = False) -> None:
    """Drop the last search's results; with ``and_query``, the search itself too."""
    for key in RESULT_SLOTS + (QUERY_SLOTS if and_query else ()):
        ctx.slots.pop(key, None)
