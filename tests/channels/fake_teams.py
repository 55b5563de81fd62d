"""Microsoft's side of a Teams bot, on 127.0.0.1: Bot Framework's OpenID configuration and
signing keys, Microsoft Entra's token endpoint, and the Bot Connector REST API.

Tokens are made as Bot Framework makes them: RS256 with a locally generated RSA key named by
``kid`` (and ``x5t``), issuer ``https://api.botframework.com``, audience the bot's app id, a
``serviceurl`` claim, ``nbf`` and ``exp``; keys are published with their channel endorsements.
The connector accepts only tokens its own token endpoint issued to the bot's credentials.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = "00000000-0000-4000-8000-00000000b07a"
APP_PASSWORD = "local-client-secret"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    endorsements: tuple[str, ...] | None = ("msteams", "webchat", "emulator")  # None: no field

    @classmethod
    def make(cls, kid: str | None = None) -> SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid or uuid.uuid4().hex[:27], private)

    def jwk(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        endorsed = {} if self.endorsements is None else {"endorsements": list(self.endorsements)}
        return {
            **endorsed,
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
        }


@dataclass
class Posted:
    conversation_id: str
    activity: dict[str, Any]
    authorization: str


@dataclass
class FakeMicrosoft:
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.make()])
    base_url: str = ""  # set once the server listens
    posted: list[Posted] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    key_fetches: int = 0
    connector_status: int = 200  # what the connector answers
    issued: set[str] = field(default_factory=set)

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/amer/"

    @property
    def openid_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/botframework.com/oauth2/v2.0/token"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        app.router.add_post("/amer/v3/conversations/{conversation}/activities", self._activity)
        return app

    def token(
        self,
        *,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        service_url: str | None = None,
        lifetime: float = 3600.0,
        issued_ago: float = 0.0,
        key: SigningKey | None = None,
        kid: str | None = None,
    ) -> str:
        """A token as Bot Framework signs it for a request to the bot."""
        key = key or self.keys[0]
        now = int(time.time() - issued_ago)
        claims = {
            "serviceurl": self.service_url if service_url is None else service_url,
            "nbf": now - 5,
            "exp": int(now + lifetime),
            "iss": issuer,
            "aud": audience,
        }
        headers = {"kid": kid or key.kid, "x5t": kid or key.kid, "typ": "JWT"}
        return jwt.encode(claims, key.private, algorithm="RS256", headers=headers)

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com/v1/auth",
                "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.key_fetches += 1
        return web.json_response({"keys": [key.jwk() for key in self.keys]})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        good = (
            form.get("grant_type") == "client_credentials"
            and form.get("client_id") == APP_ID
            and form.get("client_secret") == APP_PASSWORD
            and form.get("scope") == SCOPE
        )
        if not good:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401
            )
        now = int(time.time())
        claims = {"aud": ISSUER, "iss": f"https://sts.windows.net/{TENANT}/", "appid": APP_ID}
        claims |= {"iat": now, "nbf": now, "exp": now + 3600, "jti": uuid.uuid4().hex}
        token = jwt.encode(claims, self.keys[0].private, algorithm="RS256")
        self.issued.add(token)
        body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599}
        return web.json_response({**body, "access_token": token})

    async def _activity(self, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization", "")
        if authorization.removeprefix("Bearer ") not in self.issued:
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        if self.connector_status != 200:
            return web.json_response(
                {"error": {"code": "ServiceError"}}, status=self.connector_status
            )
        activity = await request.json()
        conversation = request.match_info["conversation"]
        self.posted.append(Posted(conversation, activity, authorization))
        digest = hashlib.sha256(str(len(self.posted)).encode()).hexdigest()[:12]
        return web.json_response({"id": f"1:{digest}"})


def activity(
    text: str = "",
    *,
    service_url: str,
    activity_id: str | None = None,
    tenant: str = TENANT,
    aad_object_id: str = "6c3b1a32-4c4a-4b8e-9d1e-1f0c2b3a4d5e",
    conversation_id: str = "a:1Xo2pQ-personal-chat",
    conversation_type: str = "personal",
    value: dict[str, Any] | None = None,
    channel_id: str = "msteams",
    kind: str = "message",
) -> dict[str, Any]:
    """An activity as Teams posts it for a message in a personal chat (or, by its
    conversation_type, in a "channel" or a "groupChat")."""
    body: dict[str, Any] = {
        "type": kind,
        "id": activity_id or str(int(time.time() * 1000)) + uuid.uuid4().hex[:6],
        "timestamp": "2026-12-02T15:00:00.000Z",
        "localTimestamp": "2026-12-02T16:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": channel_id,
        "from": {"id": "29:1abcUserId", "name": "Ada Lovelace", "aadObjectId": aad_object_id},
        "conversation": {
            "conversationType": conversation_type,
            "tenantId": tenant,
            "id": conversation_id,
        },
        "recipient": {"id": f"28:{APP_ID}", "name": "codechat"},
        "textFormat": "plain",
        "locale": "en-US",
        "channelData": {"tenant": {"id": tenant}},
    }
    if value is not None:
        body["value"] = value
    else:
        body["text"] = text
        body["attachments"] = [{"contentType": "text/html", "content": f"<p>{text}</p>"}]
    return body
