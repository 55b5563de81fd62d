"""Anthropic's Messages API through the official SDK."""

from __future__ import annotations

import json

import anthropic
from anthropic.types import AssistantMessageParam, UserMessageParam

from bot.config import ProviderConfig
from bot.errors import ProviderError
from bot.llm.backoff import retry_after_seconds, retryable_status
from bot.llm.base import ChatRequest, ProviderReply


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self, *, config: ProviderConfig, client: anthropic.AsyncAnthropic | None = None
    ) -> None:
        self.config = config
        # The router owns retries and timeouts; the SDK's own retries would multiply them.
        self._client = client or anthropic.AsyncAnthropic(
            api_key=config.api_key, base_url=config.base_url or None, max_retries=0
        )

    @property
    def model(self) -> str:
        return self.config.model

    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        messages: list[UserMessageParam | AssistantMessageParam] = [
            AssistantMessageParam(role="assistant", content=m.content)
            if m.role == "assistant"
            else UserMessageParam(role="user", content=m.content)
            for m in request.messages
        ]
        try:
            # No temperature: this SDK's Messages API no longer takes sampling parameters.
            response = await self._client.messages.create(
                model=self.config.model,
                system=request.system,
                messages=messages,
                max_tokens=request.max_tokens,
                timeout=time_limit,
            )
        except anthropic.APIStatusError as exc:
            raise ProviderError(
                self.name,
                f"HTTP {exc.status_code}: {_short(exc.message)}",
                retryable=retryable_status(exc.status_code),
                retry_after=retry_after_seconds(exc.response.headers),
                status=exc.status_code,
            ) from exc
        except anthropic.APITimeoutError as exc:
            raise ProviderError(
                self.name, f"no answer within {time_limit:g} s", retryable=True
            ) from exc
        except anthropic.APIConnectionError as exc:
            raise ProviderError(self.name, f"cannot connect: {exc}", retryable=True) from exc
        except (json.JSONDecodeError, anthropic.APIResponseValidationError) as exc:
            raise ProviderError(self.name, "answered with malformed JSON", retryable=True) from exc
        if not response.content:
            raise ProviderError(self.name, "answered without content", retryable=True)
        text = "".join(getattr(block, "text", None) or "" for block in response.content)
        usage = response.usage
        return ProviderReply(
            text=text.strip(),
            model=response.model or self.config.model,
            tokens_in=(usage.input_tokens or 0) if usage else 0,
            tokens_out=(usage.output_tokens or 0) if usage else 0,
        )

    async def aclose(self) -> None:
        await self._client.close()


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
