"""Who may read /metrics and the detailed /health: whoever sends the operators' bearer token.

In production the token (METRICS_TOKEN) is always required; when it is not set, nobody gets in
(401) rather than everybody, and start-up says so. Elsewhere the endpoints stay open unless a
token is set. Load balancers need no token: /health answers them with its status alone.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.config import Settings

log = logging.getLogger("bot.web")

REALM = 'Bearer realm="codechat operators"'


class OperatorAuth:
    def __init__(self, *, token: str, required: bool) -> None:
        self._token = token.strip().encode("utf-8")
        self._required = required or bool(self._token)

    @classmethod
    def from_settings(cls, settings: Settings) -> OperatorAuth:
        auth = cls(token=settings.server.metrics_token, required=settings.production)
        if settings.production and not auth._token:
            log.warning(
                "metrics.locked",
                extra={
                    "fields": {
                        "warning": "METRICS_TOKEN is not set: /metrics answers 401 and /health "
                        "only its status until it is (see docs/operations.md)."
                    }
                },
            )
        return auth

    def allows(self, request: web.Request) -> bool:
        if not self._required:
            return True
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if not self._token or scheme.lower() != "bearer":
            return False
        # Constant time: the comparison must not tell how much of a guess was right.
        return hmac.compare_digest(given.strip().encode("utf-8"), self._token)

    def refusal(self) -> web.HTTPUnauthorized:
        reason = (
            "Send the operators' token: Authorization: Bearer <METRICS_TOKEN>."
            if self._token
            else "METRICS_TOKEN is not set on the server, so this endpoint is closed."
        )
        return web.HTTPUnauthorized(text=reason, headers={"WWW-Authenticate": REALM})
