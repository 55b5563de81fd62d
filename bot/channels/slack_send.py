"""Replies to Slack through chat.postMessage, with the official slack-sdk async client."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_render import SlackPost
from bot.config import Settings
from bot.errors import DeliveryError

log = logging.getLogger("bot.channels")


class SlackPoster(Protocol):
    async def post(
        self, channel: str, messages: Sequence[SlackPost], *, thread_ts: str | None
    ) -> list[str]: ...

    async def close(self) -> None: ...


class SlackSender:
    def __init__(self, *, token: str, base_url: str = "", timeout_seconds: float = 10.0) -> None:
        # Its own session, closed with the sender; the SDK's default opens one per call.
        self._session = aiohttp.ClientSession()
        self._client = AsyncWebClient(
            token=token,
            base_url=base_url or AsyncWebClient.BASE_URL,
            timeout=max(1, round(timeout_seconds)),
            session=self._session,
            # Slack's 429 says when to come back; a connection that failed sent nothing.
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=1),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSender:
        return cls(
            token=settings.slack.bot_token,
            base_url=settings.slack.api_base_url,
            timeout_seconds=settings.limits.outbound_timeout_seconds,
        )

    async def post(
        self, channel: str, messages: Sequence[SlackPost], *, thread_ts: str | None
    ) -> list[str]:
        """Post the messages in order (the next only once the previous was accepted); their
        timestamps (Slack's message ids)."""
        sent = []
        for message in messages:
            try:
                response = await self._client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=list(message.blocks),
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                error = exc.response.get("error", "unknown") if exc.response else "unknown"
                raise DeliveryError(f"Slack refused the message: {error}") from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(f"Slack request failed: {exc!r}", maybe_sent=True) from None
            sent.append(str(response.get("ts", "")))
        return sent

    async def close(self) -> None:
        await self._session.close()
