"""A session may only hold what its sender can read now: a repository hidden since (a revoke,
a group change, an edited `allow:`) is forgotten with everything found in it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bot.store.base import Session

# What a search or an opened result leaves in the slots (bot/actions/search.py).
FOUND_SLOTS = (
    "results", "shown", "page", "query", "total", "snippet", "opened", "more_available",
    "no_more", "search_kind", "truncated", "capped", "incomplete", "search_note",
    "search_error", "open_error", "explain_error",
)  # fmt: skip


def forget_hidden(session: Session, visible: Collection[str]) -> bool:
    """Drop the selected repository and the results that are not in ``visible``, here and in
    the "back" steps; True when something was dropped."""
    dropped = _scrub(session.slots, visible)
    kept = [step for step in session.back if _readable(step.get("slots") or {}, visible)]
    if len(kept) != len(session.back):
        session.back[:] = kept
        dropped = True
    return dropped


def _scrub(slots: dict[str, Any], visible: Collection[str]) -> bool:
    if _readable(slots, visible):
        return False
    repo = slots.get("repo")
    if isinstance(repo, str) and repo not in visible:
        slots.pop("repo", None)
    for name in FOUND_SLOTS:
        slots.pop(name, None)
    return True


def _readable(slots: Mapping[str, Any], visible: Collection[str]) -> bool:
    repo = slots.get("repo")
    if isinstance(repo, str) and repo not in visible:
        return False
    for hit in slots.get("results") or ():
        if isinstance(hit, Mapping) and hit.get("repo") not in visible:
            return False
    return True
