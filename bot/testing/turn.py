"""What one step of a conversation test did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine.reply import Choice
from bot.testing.cases import Step
from bot.testing.errors import LoggedError


@dataclass(frozen=True, slots=True)
class Turn:
    """What one step did: the replies, where the conversation went and why."""

    step: Step
    state_before: str
    replies: tuple[str, ...]
    state: str
    intent: str | None
    score: float | None
    trace: tuple[str, ...]
    slots: dict[str, Any]
    errors: tuple[LoggedError, ...] = ()  # logged while the step ran: a failed turn's exception
    choices: tuple[Choice, ...] = ()  # what the reply offered to tap

    @property
    def failed_in(self) -> str:
        """The state the turn was in when it failed: the last one it entered."""
        entered = [line.removeprefix("enter ") for line in self.trace if line.startswith("enter ")]
        return entered[-1] if entered else self.state_before or "(new user)"
