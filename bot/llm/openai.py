"""OpenAI (and any OpenAI-compatible server: Ollama, vLLM, llama.cpp) through the official SDK."""

from __future__ import annotations

import openai

from bot.config import ProviderConfig
from bot.errors import ProviderError
from bot.llm.base import ChatRequest, ProviderReply
from bot.llm.sdk_errors import provider_errors


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, config: ProviderConfig, client: openai.AsyncOpenAI | None = None) -> None:
        self.config = config
        # The router owns retries and timeouts; the SDK's own retries would multiply them.
        self._client = client or openai.AsyncOpenAI(
            api_key=config.api_key or "unused",  # local OpenAI-compatible servers need no key
            base_url=config.base_url or None,
            max_retries=0,
        )

    @property
    def model(self) -> str:
        return self.config.model

    async def complete(self, request: ChatRequest, *, time_limit: float) -> ProviderReply:
        messages: list[dict[str, str]] = [{"role": "system", "content": request.system}]
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        with provider_errors(self.name, openai, time_limit=time_limit):
            response = await self._client.chat.completions.create(
                model=self.config.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                timeout=time_limit,
            )
        message = response.choices[0].message if response.choices else None
        if message is None:
            raise ProviderError(self.name, "answered without a message", retryable=True)
        usage = response.usage
        return ProviderReply(
            text=(message.content or "").strip(),
            model=response.model or self.config.model,
            tokens_in=(usage.prompt_tokens or 0) if usage else 0,
            tokens_out=(usage.completion_tokens or 0) if usage else 0,
        )

    async def aclose(self) -> None:
        await self._client.close()
