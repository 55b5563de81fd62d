"""Errors logged while a case runs, kept for its report instead of going raw to stderr.

The engine survives a failing action or condition: it logs ``turn.failed`` with the exception,
answers with its error message and leaves the user where they were. A test writer needs the
exception and the state it happened in next to the failing step, not a traceback on stderr.
"""

from __future__ import annotations

import logging
import sysconfig
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Frames in these folders are Python's or an installed package's: the line to show is the last
# one outside them (the action, the engine), unless there is none.
_LIBRARY_DIRS = tuple(
    str(Path(sysconfig.get_paths()[name]).resolve())
    for name in ("stdlib", "platstdlib", "purelib", "platlib")
)


@dataclass(frozen=True, slots=True)
class LoggedError:
    """One error record: the log event, the exception (if any) and where it was raised."""

    event: str  # the log message, e.g. "turn.failed"
    exception: str  # "ZeroDivisionError: division by zero", or "" without one
    where: str  # "bot/engine/conversation.py:257 in _render_value", or ""
    traceback: str  # the whole traceback, or ""

    def describe(self) -> str:
        return self.exception or self.event


class ErrorLog(logging.Handler):
    """Keeps the ERROR records worth a report; ``take()`` hands over those since the last."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self._records: list[LoggedError] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The bot's own errors, and any with an exception; not a library's chatter about an
        # exception the engine reports anyway (transitions: "Exception was raised while ...").
        ours = record.name == "bot" or record.name.startswith("bot.")
        if ours or (record.exc_info and record.exc_info[1] is not None):
            self._records.append(_logged(record))

    def take(self) -> tuple[LoggedError, ...]:
        taken, self._records = tuple(self._records), []
        return taken

    @contextmanager
    def attached(self) -> Iterator[ErrorLog]:
        """On the root logger while the block runs. With a handler there, Python's last-resort
        handler stays quiet, so ``bot test`` prints no raw tracebacks; loggers a test framework
        set up (pytest's capture) still get the records."""
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)


def _logged(record: logging.LogRecord) -> LoggedError:
    event = record.getMessage()
    if not record.exc_info or record.exc_info[1] is None:
        return LoggedError(event, "", "", "")
    exc = record.exc_info[1]
    frames = traceback.extract_tb(exc.__traceback__)
    return LoggedError(
        event=event,
        exception=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
        where=_where(frames),
        traceback="".join(traceback.format_exception(exc)).rstrip(),
    )


def _where(frames: Sequence[traceback.FrameSummary]) -> str:
    for frame in reversed(frames):
        if frame.filename.startswith("<"):
            continue
        path = Path(frame.filename).resolve()
        if str(path).startswith(_LIBRARY_DIRS):
            continue
        return f"{_relative(path)}:{frame.lineno} in {frame.name}"
    return ""


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
