"""“Did you mean” for a misspelt name: a state, an intent, a variable, a Jinja filter."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` is most likely a typo of, if any is close enough."""
    found = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` to append to a message, or nothing when no candidate is close."""
    found = closest(name, candidates)
    return f" (did you mean '{found}'?)" if found else ""
