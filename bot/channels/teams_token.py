"""The bot's own token for the Bot Connector API: OAuth 2.0 client credentials.

The same request the SDK's MSAL provider sends (POST to the tenant's token endpoint,
``grant_type=client_credentials`` for the scope ``https://api.botframework.com/.default``),
made here with aiohttp: MSAL accepts only https authorities it can look up on the internet, and
runs its blocking requests in a thread. The token is kept until five minutes before it expires;
callers waiting at once share one request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp

from bot.errors import DeliveryError

SCOPE = "https://api.botframework.com/.default"
REFRESH_MARGIN_SECONDS = 300.0


def default_token_url(tenant_id: str) -> str:
    """Microsoft Entra's token endpoint: the bot's tenant (single-tenant bots), else the one
    multi-tenant bots use."""
    tenant = tenant_id.strip() or "botframework.com"
    return f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"


class ConnectorTokens:
    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        token_url: str,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": app_password,
            "scope": SCOPE,
        }
        self._url = token_url
        self._session = session
        self._clock = clock
        self._token = ""
        self._good_until = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if self._clock() < self._good_until:
            return self._token
        async with self._lock:
            if self._clock() >= self._good_until:
                await self._fetch()
        return self._token

    def forget(self) -> None:
        """The connector refused the token: the next call gets a new one."""
        self._good_until = 0.0

    async def _fetch(self) -> None:
        asked = self._clock()
        try:
            async with self._session.post(self._url, data=self._form) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise DeliveryError(f"no Bot Connector token: {exc!r}", retryable=True) from None
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            error = body.get("error") if isinstance(body, dict) else None
            raise DeliveryError(f"no Bot Connector token: HTTP {status} {error or ''}".strip())
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._token = str(body["access_token"])
        self._good_until = asked + max(lifetime - REFRESH_MARGIN_SECONDS, 0.0)
