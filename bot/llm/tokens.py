"""Counting tokens, and fitting snippets and history into a model's context window.

OpenAI models are counted exactly with tiktoken (o200k_base for the gpt-4o / gpt-4.1 / gpt-5 / o*
families, cl100k_base for gpt-4 and gpt-3.5), from the encoding files shipped in
``bot/llm/encodings``. Anthropic publishes no tokenizer, and a local OpenAI-compatible model has its
own: those are counted with o200k_base plus a 15% margin and labelled approximate. When the
encoding files are missing, a byte-based estimate (UTF-8 bytes / 4, plus the same margin) stands
in and is labelled approximate too; ``TokenCounter.exact`` says which one a count came from.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.errors import LLMError
from bot.llm.encodings import load_encoding

if TYPE_CHECKING:
    import tiktoken

log = logging.getLogger(__name__)

# Tokens a chat format adds around each message (role markers): OpenAI's cookbook figure.
PER_MESSAGE_OVERHEAD = 4
SEEN_LIMIT = 2048
# Other tokenizers (Claude's, a local model's) split code into up to ~15% more pieces than
# o200k_base; approximate counts are raised by this much.
APPROX_MARGIN = 1.15

_CL100K_PREFIXES = ("gpt-4-", "gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")


def encoding_for(provider: str, model: str) -> tuple[str, bool]:
    """(encoding name, exact?) for a provider's model."""
    if provider == "openai":
        lowered = model.lower()
        if lowered.startswith(_O200K_PREFIXES):
            return "o200k_base", True
        if lowered.startswith(_CL100K_PREFIXES):
            return "cl100k_base", True
    return "o200k_base", False


@dataclass(frozen=True, slots=True)
class TokenCounter:
    """Counts tokens for one model; ``exact`` is False for an approximation."""

    encoding: tiktoken.Encoding | None
    exact: bool
    # Counts of texts seen lately: the system prompt and earlier turns come back on every call.
    _seen: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_model(cls, provider: str, model: str) -> TokenCounter:
        name, exact = encoding_for(provider, model)
        try:
            return cls(load_encoding(name), exact)
        except LLMError as exc:
            log.warning("llm.tokens_approximate", extra={"fields": {"reason": str(exc)}})
            return cls(None, False)

    @property
    def name(self) -> str:
        return self.encoding.name if self.encoding else "approx-bytes/4"

    def count(self, text: str) -> int:
        """Tokens in ``text``; an approximate count is raised by APPROX_MARGIN so that trimming
        errs on the side of sending less, never more than the model's window."""
        if self.encoding is None:
            return math.ceil(len(text.encode("utf-8")) / 4 * APPROX_MARGIN)
        found = self._seen.get(text)
        if found is None:
            found = len(self.encoding.encode(text, disallowed_special=()))
            if not self.exact:
                found = math.ceil(found * APPROX_MARGIN)
            if len(self._seen) >= SEEN_LIMIT:
                self._seen.clear()
            self._seen[text] = found
        return found

    def count_messages(self, system: str, contents: Sequence[str]) -> int:
        total = self.count(system) + PER_MESSAGE_OVERHEAD
        return total + sum(self.count(c) + PER_MESSAGE_OVERHEAD for c in contents)


@dataclass(frozen=True, slots=True)
class Fitted:
    snippets: tuple[str, ...]  # kept, best first
    history: tuple[int, ...]  # indexes of the kept history turns, oldest first
    tokens: int  # what the kept parts count, fixed part included


def fit(
    counter: TokenCounter,
    *,
    budget: int,
    fixed: int,
    snippets: Sequence[str],
    history: Sequence[str],
) -> Fitted:
    """Keep the best snippets, then the newest history turns, while the total stays in budget.

    Snippets come first because an answer must rest on the code; history fills what is left,
    newest first, so the most recent exchange is the last to go.
    """
    used = fixed
    kept: list[str] = []
    for snippet in snippets:
        cost = counter.count(snippet) + PER_MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        kept.append(snippet)
        used += cost
    turns: list[int] = []
    for index in range(len(history) - 1, -1, -1):
        cost = counter.count(history[index]) + PER_MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        turns.append(index)
        used += cost
    return Fitted(tuple(kept), tuple(reversed(turns)), used)
