"""OpenAI (and any OpenAI-compatible server: Ollama, vLLM, llama.cpp) through the official SDK."""

from __future__ import annotations

import json

import openai

from bot.config import ProviderConfig
from bot.errors import ProviderError
from bot.llm.backoff import retry_after_seconds, retryable_status
from bot.llm.base import ChatRequest, ProviderReply


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
        try:
            response = await self._client.chat.completions.create(
                model=self.config.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                timeout=time_limit,
            )
        except openai.APIStatusError as exc:
            raise ProviderError(
                self.name,
                f"HTTP {exc.status_code}: {_short(exc.message)}",
                retryable=retryable_status(exc.status_code),
                retry_after=retry_after_seconds(exc.response.headers),
                status=exc.status_code,
            ) from exc
        except openai.APITimeoutError as exc:
            raise ProviderError(
                self.name, f"no answer within {time_limit:g} s", retryable=True
            ) from exc
        except openai.APIConnectionError as exc:
            raise ProviderError(self.name, f"cannot connect: {exc}", retryable=True) from exc
        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
            raise ProviderError(self.name, "answered with malformed JSON", retryable=True) from exc
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


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
