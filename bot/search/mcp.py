"""A minimal MCP client over stdio: JSON-RPC 2.0, one JSON message per line.

The maintained `mcp` package was considered: its client keeps each session inside anyio context
managers that must be entered and left in one task, it writes the server's stderr only to a real
file, and it brings a web server's dependencies (starlette, uvicorn, sse-starlette,
cryptography) into a process that only needs two requests. These ~150 lines do what we use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from bot.errors import SearchError

log = logging.getLogger(__name__)
PROTOCOL_VERSION = "2024-11-05"
STREAM_LIMIT = 16 * 1024 * 1024  # one JSON-RPC answer per line; search results can be long
STDERR_LINES = 40  # the server's last stderr lines kept for the log when it fails


class ServerGoneError(SearchError):
    """The server did not answer in time, or stopped: the supervisor pauses it."""


class McpClient:
    """Starts `argv` and talks MCP to it until `close()`; keeps the end of its stderr."""

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str, name: str = ""
    ) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._name = name or self._argv[0]
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def stderr_tail(self) -> str:
        """The last lines the server wrote on stderr (for the log when it fails)."""
        return "\n".join(self._stderr)

    async def start(self, answer_within: float = 60.0) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            cwd=self._cwd,
            limit=STREAM_LIMIT,
        )
        self._readers = [
            asyncio.create_task(self._read(), name="mcp.read"),
            asyncio.create_task(self._read_stderr(), name="mcp.stderr"),
        ]
        await self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "codechat", "version": "1"},
            },
            answer_within,
        )
        await self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def call_tool(self, name: str, arguments: dict[str, Any], answer_within: float) -> Any:
        """The tool's structured result (or its text content parsed as JSON). SearchError when
        the tool reports an error, ServerGoneError when the server does not answer."""
        params = {"name": name, "arguments": arguments}
        result = await self.request("tools/call", params, answer_within)
        if result.get("isError"):
            raise SearchError(f"{name} failed: {_text(result)[:300]}")
        if "structuredContent" in result:
            return result["structuredContent"]
        text = _text(result)
        try:
            return json.loads(text)
        except ValueError:
            return text

    async def request(
        self, method: str, params: dict[str, Any], answer_within: float
    ) -> dict[str, Any]:
        if not self.running:
            raise ServerGoneError(f"the MCP server {self._name} is not running")
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        try:
            await self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
            message = await asyncio.wait_for(future, answer_within)
        except TimeoutError:
            raise ServerGoneError(f"{method} got no answer within {answer_within:g} s") from None
        except (BrokenPipeError, ConnectionResetError):
            raise ServerGoneError(f"the MCP server {self._name} stopped reading") from None
        finally:
            self._waiting.pop(ident, None)
        if "error" in message:
            raise SearchError(
                f"{method} failed: {message['error'].get('message', message['error'])}"
            )
        result: dict[str, Any] = message.get("result") or {}
        return result

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            if proc.stdin:
                proc.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for reader in self._readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._readers = []
        self._fail_waiting("the MCP server stopped")

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self._proc.stdin.drain()

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        while line := await stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                continue  # a stray log line on stdout
            ident = message.get("id") if isinstance(message, dict) else None
            future = self._waiting.get(ident) if isinstance(ident, int) else None
            if future is not None and not future.done():
                future.set_result(message)
        self._fail_waiting("the MCP server exited")

    async def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        stderr = self._proc.stderr
        pending = b""
        # Read in blocks, not lines: a server blocked on a full stderr pipe would hang.
        while block := await stderr.read(65536):
            *lines, pending = (pending + block).split(b"\n")
            pending = pending[-4096:]
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip()[:500]
                self._stderr.append(line)
                log.debug("search.mcp_stderr", extra={"server": self._name, "line": line})

    def _fail_waiting(self, why: str) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ServerGoneError(why))


def _text(result: dict[str, Any]) -> str:
    parts = result.get("content") or []
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))
