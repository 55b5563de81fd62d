"""Replies out to Teams through the Agents SDK's ConnectorClient, to the activity's serviceUrl.

Each activity is a POST to ``{serviceUrl}/v3/conversations/{id}/activities`` with the bot's
connector token (bot/channels/teams_token.py). The serviceUrl is the one the incoming token
vouched for (bot/channels/teams_auth.py), so the token goes only where Microsoft said. One
refused token (401) is renewed and the activity sent again; anything else is a DeliveryError.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.connector.client.connector_client import ConnectorClient

from bot.channels.teams_token import ConnectorTokens
from bot.errors import DeliveryError


class TeamsSender:
    def __init__(self, *, tokens: ConnectorTokens, timeout_seconds: float = 10.0) -> None:
        self._tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def send(
        self, service_url: str, conversation_id: str, activities: Sequence[Activity]
    ) -> int:
        """Send in order; how many were sent."""
        sent = 0
        for activity in activities:
            await self._send_one(service_url, conversation_id, activity, sent)
            sent += 1
        return sent

    async def _send_one(
        self, service_url: str, conversation_id: str, activity: Activity, sent: int
    ) -> None:
        for attempt in (1, 2):
            token = await self._tokens.token()
            base = service_url if service_url.endswith("/") else service_url + "/"
            try:
                async with aiohttp.ClientSession(base_url=base, timeout=self._timeout) as http:
                    client = ConnectorClient(base, token, session=http)
                    await client.conversations.send_to_conversation(conversation_id, activity)
                    return
            except aiohttp.ClientResponseError as exc:
                if exc.status == 401 and attempt == 1:
                    self._tokens.forget()
                    continue
                raise DeliveryError(
                    f"Bot Connector answered HTTP {exc.status} after {sent} sent",
                    retryable=exc.status in (429, 503),
                ) from None
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise DeliveryError(
                    f"Bot Connector unreachable after {sent} sent: {exc!r}", maybe_sent=True
                ) from None
