"""Exceptions raised by the bot.

BotError
├── ConfigError            config.yaml or the environment holds a wrong value
├── FlowError              the flows cannot be loaded; carries every problem found
├── StoreError             the conversation store failed or is unusable
│   └── SchemaTooNewError  the database was migrated by a newer release
├── SearchError            a search could not run
│   ├── QueryError         the query itself is wrong (bad regex, unknown repo)
│   └── PathOutsideRepoError  a path escapes its repository
├── LLMError               no language model could answer
│   └── ProviderError      one provider call failed (retryable or not, maybe with Retry-After)
└── ChannelError           a messaging channel (Twilio) refused or failed
    ├── MalformedRequestError  an inbound request cannot be read (bad form, missing fields)
    └── DeliveryError          an outbound message was not (or maybe not) accepted
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BotError(Exception):
    """Root of every error the bot raises on purpose."""


class ConfigError(BotError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"Config '{key}' {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a flow file, located at file:line."""

    file: str
    line: int
    message: str
    code: str = "invalid"
    flow: str | None = None
    state: str | None = None
    severity: str = "error"  # "warning": reported by `validate`, but the flows still load

    def __str__(self) -> str:
        tag = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {tag}{self.message}"


class FlowError(BotError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the flows:\n{lines}")


class StoreError(BotError):
    pass


class DuplicateMessageError(BotError):
    """The message's MessageSid was handled already (a retry of it): nothing was saved."""


class SchemaTooNewError(StoreError):
    pass


class SearchError(BotError):
    pass


class QueryError(SearchError):
    pass


class PathOutsideRepoError(SearchError):
    pass


class LLMError(BotError):
    pass


class ProviderError(LLMError):
    def __init__(
        self,
        provider: str,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable  # 429, 5xx, timeouts, a dropped connection, a garbled answer
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said
        self.status = status


class ChannelError(BotError):
    pass


class MalformedRequestError(ChannelError):
    pass


class DeliveryError(ChannelError):
    def __init__(self, message: str, *, maybe_sent: bool = False, retryable: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent  # the request may have reached Twilio: never retry it
        self.retryable = retryable and not maybe_sent  # nothing was created and it may pass later
