"""The official OpenAI and Anthropic SDKs raise the same family of errors (both are generated
from one template): each is turned into a ProviderError here, once for both."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from types import ModuleType

from bot.errors import ProviderError
from bot.llm.backoff import retry_after_seconds, retryable_status


@contextlib.contextmanager
def provider_errors(provider: str, sdk: ModuleType, *, time_limit: float) -> Iterator[None]:
    """Within the block, ``sdk``'s errors (the `openai` or `anthropic` module's) become
    ProviderErrors saying what happened, retryable when another try may succeed."""
    try:
        yield
    except sdk.APIStatusError as exc:
        raise ProviderError(
            provider,
            f"HTTP {exc.status_code}: {_short(exc.message)}",
            retryable=retryable_status(exc.status_code),
            retry_after=retry_after_seconds(exc.response.headers),
            status=exc.status_code,
        ) from exc
    except sdk.APITimeoutError as exc:  # before APIConnectionError, of which it is a kind
        raise ProviderError(provider, f"no answer within {time_limit:g} s", retryable=True) from exc
    except sdk.APIConnectionError as exc:
        raise ProviderError(provider, f"cannot connect: {exc}", retryable=True) from exc
    except (json.JSONDecodeError, sdk.APIResponseValidationError) as exc:
        raise ProviderError(provider, "answered with malformed JSON", retryable=True) from exc


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
