"""A local aiohttp server that speaks OpenAI's `/v1/chat/completions` and Anthropic's
`/v1/messages`, so the real SDKs can be pointed at it with ``base_url``.

Each request takes the next scripted behaviour (or the default: a normal answer) and is recorded
with its JSON body and headers, so tests can assert on what was actually sent.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Reply:
    """A normal answer with this text."""

    text: str


@dataclass(frozen=True, slots=True)
class Fail:
    """An error answer in the provider's own error format."""

    status: int
    retry_after: str | None = None
    message: str = "scripted failure"


@dataclass(frozen=True, slots=True)
class Malformed:
    """200 with a body that is not JSON."""


@dataclass(frozen=True, slots=True)
class WrongShape:
    """200 with valid JSON that is not a completion at all."""


@dataclass(frozen=True, slots=True)
class Hang:
    """Answer only after this many seconds (longer than the client's timeout)."""

    seconds: float
    then: Reply = Reply("too late")


Behaviour = Reply | Fail | Malformed | WrongShape | Hang


@dataclass(slots=True)
class Recorded:
    api: str  # "openai" | "anthropic"
    body: dict[str, Any]
    headers: Mapping[str, str]  # case-insensitive, as received

    @property
    def prompt_text(self) -> str:
        """Everything the model was sent, system prompt included, as one string."""
        parts = [str(self.body.get("system", ""))]
        for message in self.body.get("messages", []):
            content = message.get("content")
            parts.append(content if isinstance(content, str) else json.dumps(content))
        return "\n".join(parts)


def default_answer(api: str, body: dict[str, Any]) -> str:
    return f"fake {api} answer"


@dataclass
class FakeLLM:
    """Scripted behaviours, shared by both endpoints, consumed in order."""

    script: deque[Behaviour] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    answer: Callable[[str, dict[str, Any]], str] = default_answer
    url: str = ""

    def then(self, *behaviours: Behaviour) -> FakeLLM:
        self.script.extend(behaviours)
        return self

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        return app

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._handle("openai", request)

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._handle("anthropic", request)

    async def _handle(self, api: str, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(api, body, request.headers.copy()))
        behaviour = self.script.popleft() if self.script else Reply(self.answer(api, body))
        if isinstance(behaviour, Hang):
            await asyncio.sleep(behaviour.seconds)
            behaviour = behaviour.then
        if isinstance(behaviour, WrongShape):
            return web.json_response({"unexpected": True})
        if isinstance(behaviour, Malformed):
            return web.Response(text='{"id": "x", "choices": [', content_type="application/json")
        if isinstance(behaviour, Fail):
            headers = {"retry-after": behaviour.retry_after} if behaviour.retry_after else {}
            return web.json_response(
                _error(api, behaviour.status, behaviour.message),
                status=behaviour.status,
                headers=headers,
            )
        return web.json_response(_ok(api, body, behaviour.text))


def _words(body: dict[str, Any]) -> int:
    text = json.dumps(body.get("messages", [])) + str(body.get("system", ""))
    return max(1, len(text.split()))


def _ok(api: str, body: dict[str, Any], text: str) -> dict[str, Any]:
    tokens_in, tokens_out = _words(body), max(1, len(text.split()))
    if api == "openai":
        return {
            "id": "chatcmpl-fake1",
            "object": "chat.completion",
            "created": 1_764_000_000,
            "model": body.get("model", "gpt-4o-mini"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    return {
        "id": "msg_fake1",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-3-5-haiku-latest"),
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


_ANTHROPIC_TYPES = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}


def _error(api: str, status: int, message: str) -> dict[str, Any]:
    if api == "openai":
        code = "rate_limit_exceeded" if status == 429 else None
        return {"error": {"message": message, "type": "server_error", "param": None, "code": code}}
    kind = _ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}
