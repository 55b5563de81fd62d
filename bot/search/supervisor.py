"""One MCP server per repository, started in the background and restarted after a failure
with a growing pause, so that a server that hangs or dies costs one query, not every query."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.errors import SearchError
from bot.search.mcp import McpClient

log = logging.getLogger(__name__)
FIRST_PAUSE = 5.0  # seconds before a failed server is started again; doubled each failure
MAX_PAUSE = 300.0


class Supervisor:
    """Owns one server: at most one start at a time, and no lock that other servers wait on."""

    def __init__(
        self,
        name: str,
        make: Callable[[], McpClient],
        *,
        start_within: float,
        first_pause: float = FIRST_PAUSE,
        max_pause: float = MAX_PAUSE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._make = make
        self._start_within = start_within
        self._first_pause = first_pause
        self._max_pause = max_pause
        self._clock = clock
        self._client: McpClient | None = None
        self._starting: asyncio.Task[McpClient] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._failures = 0
        self._retry_at = 0.0
        self.error = ""

    @property
    def available(self) -> bool:
        """False while a failed server waits for its next start."""
        return self._clock() >= self._retry_at or self._running() is not None

    def start(self) -> None:
        """Start the server in the background (nothing waits for it)."""
        if self._running() is None and self._starting is None and self.available:
            self._starting = asyncio.create_task(self._start(), name=f"mcp.start.{self.name}")
            self._starting.add_done_callback(self._started)

    async def client(self, wait: float) -> McpClient:
        """The running server, waiting at most `wait` seconds for one that is starting.
        SearchError when it is pausing after a failure or not ready in time."""
        running = self._running()
        if running is not None:
            return running
        if not self.available:
            pause = self._retry_at - self._clock()
            raise SearchError(f"{self.name} failed ({self.error}); next try in {pause:.0f} s")
        self.start()
        assert self._starting is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._starting), wait)
        except TimeoutError:
            raise SearchError(f"{self.name} is still starting") from None

    def failed(self, client: McpClient, error: str) -> None:
        """A request to `client` went unanswered or the server stopped: stop it in the
        background and pause before the next start."""
        if client is self._client:
            self._client = None
            self._record(error, client.stderr_tail)
        self._close_later(client)

    def succeeded(self) -> None:
        self._failures = 0

    async def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _running(self) -> McpClient | None:
        client = self._client
        if client is not None and not client.running:
            self._client = None
            self._record("the server exited", client.stderr_tail)
            self._close_later(client)
            return None
        return client

    async def _start(self) -> McpClient:
        client = self._make()
        try:
            await client.start(self._start_within)
        except (OSError, SearchError) as exc:
            self._record(str(exc), client.stderr_tail)
            await client.close()
            raise SearchError(f"{self.name} did not start: {exc}") from exc
        except BaseException:
            await client.close()  # cancelled (service closing): the process must not outlive us
            raise
        self._client = client
        return client

    def _started(self, task: asyncio.Task[McpClient]) -> None:
        if self._starting is task:
            self._starting = None
        if not task.cancelled():
            task.exception()  # retrieved here, so a start nobody awaited logs no warning

    def _record(self, error: str, stderr: str) -> None:
        self._failures += 1
        pause = min(self._first_pause * 2 ** (self._failures - 1), self._max_pause)
        self._retry_at = self._clock() + pause
        self.error = error
        log.warning(
            "search.chunkhound_failed",
            extra={"repo": self.name, "error": error, "retry_in_s": pause, "stderr": stderr},
        )

    def _close_later(self, client: McpClient) -> None:
        task = asyncio.create_task(client.close(), name=f"mcp.close.{self.name}")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
