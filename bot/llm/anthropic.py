"""Anthropic's Messages API through the official SDK."""

from __future__ import annotations

import anthropic
from anthropic.types import AssistantMessageParam, UserMessageParam

from bot.config import ProviderConfig
from bot.errors import ProviderError
from bot.llm.base import ChatRequest, ProviderReply
from bot.llm.sdk_errors import provider_errors


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
        with provider_errors(self.name, anthropic, time_limit=time_limit):
            # No temperature: this SDK's Messages API no longer takes sampling parameters.
            response = await self._client.messages.create(
                model=self.config.model,
                system=request.system,
                messages=messages,
                max_tokens=request.max_tokens,
                timeout=time_limit,
            )
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
