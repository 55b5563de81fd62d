"""What a turn may use beyond the session: the engine's ports.

The engine and the flow actions see these Protocols only; the composition root (bot/services.py)
hands in the objects that satisfy them. A test can hand in anything shaped the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.llm.router import LLMRouter
    from bot.nlu.classify import IntentClassifier
    from bot.search.types import SearchResponse, Snippet
    from bot.store.base import ConversationRow


class Search(Protocol):
    """Code search over the configured repositories."""

    async def search(
        self, query: str, *, repo: str | None = None, kind: str | None = None, limit: int = 20
    ) -> SearchResponse: ...

    async def snippet(self, repo: str, path: str, line: int, *, context: int = 5) -> Snippet: ...

    async def occurs(self, text: str, repo: str) -> bool: ...

    def defines(self, name: str, repo: str) -> bool: ...


class History(Protocol):
    """The turns already kept for a user, newest last."""

    async def history(self, user_id: str, limit: int = 20) -> list[ConversationRow]: ...


class TurnPorts(Protocol):
    """Everything a turn and its actions may reach: read-only, so any object with these
    attributes fits (the running bot's Services, a test's stand-in)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def search(self) -> Search: ...

    @property
    def llm(self) -> LLMRouter | None: ...

    @property
    def classifier(self) -> IntentClassifier | None:
        """Decides between intents the words alone leave ambiguous; None: fuzzy matching only."""
        ...

    @property
    def store(self) -> History: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    def repo_listing(self, names: tuple[str, ...]) -> list[dict[str, Any]]:
        """`repos` in flow templates: the repositories ``names`` (one sender's), numbered."""
        ...
