"""The token Bot Framework sends with every activity, checked as Microsoft documents it.

A request to POST /teams/messages carries ``Authorization: Bearer <JWT>``. It is accepted only
when the token is signed (RS256) by a key published in the JWKS that the OpenID configuration
names, by a key whose endorsements name the activity's channel (a key with none is refused, as
Microsoft requires); its issuer is Bot Framework's; its audience
is this bot's app id; it has not expired (five minutes of clock skew, as Microsoft allows); and
its ``serviceurl`` claim is the activity's serviceUrl, so a token cannot send the bot's replies,
and its own connector token, anywhere else.

Keys are cached and refetched daily, and at once (at most every few minutes) when a token names
a key this process has not seen: Microsoft rotates them without notice. When the keys cannot be
fetched and none are held, requests get KeysUnavailable (503) without a new fetch until a
back-off (10 s, doubling, at most the refetch interval) has passed: requests, signed or not,
cannot make the bot hammer the metadata and JWKS endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from bot.errors import ChannelError

log = logging.getLogger("bot.channels.teams")

CLOCK_SKEW_SECONDS = 300
MIN_REFETCH_SECONDS = 300.0
FAILED_FETCH_RETRY_SECONDS = 10.0  # the first back-off after a failed fetch; doubles
_ALGORITHMS = ["RS256"]


class TokenRejected(ChannelError):
    """The request's token does not prove it comes from Bot Framework for this bot."""


class KeysUnavailable(ChannelError):
    """The signing keys could not be fetched: no token can be checked for now."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    key: Any  # the public key, as PyJWT's PyJWK gives it
    endorsements: frozenset[str]  # channels this key may sign for; empty: none


class BotTokenValidator:
    def __init__(
        self,
        *,
        app_id: str,
        openid_metadata_url: str,
        issuer: str,
        session: aiohttp.ClientSession,
        refresh_seconds: float = 86400.0,
        min_refetch_seconds: float = MIN_REFETCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id = app_id
        self._metadata_url = openid_metadata_url
        self._issuer = issuer
        self._session = session
        self._refresh = refresh_seconds
        self._min_refetch = min_refetch_seconds
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None  # the last failed fetch while no keys were held
        self._failures = 0
        self._lock = asyncio.Lock()

    async def validate(
        self, authorization: str, *, channel_id: str, service_url: str
    ) -> dict[str, Any]:
        """The token's claims, or TokenRejected saying why (KeysUnavailable when the keys
        cannot be had)."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenRejected("not a JWT") from None
        if header.get("alg") not in _ALGORITHMS:
            raise TokenRejected(f"algorithm {header.get('alg')!r} is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("no key id")
        key = await self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=self._app_id,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(_reason(exc)) from None
        if channel_id not in key.endorsements:
            raise TokenRejected(f"key not endorsed for channel {channel_id!r}")
        if _same_url(claims.get("serviceurl")) != _same_url(service_url):
            raise TokenRejected("serviceurl claim is not the activity's serviceUrl")
        return claims

    async def _key(self, kid: str) -> SigningKey:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self._refresh
        unknown = kid not in self._keys
        may_refetch = self._fetched_at is None or now - self._fetched_at >= self._min_refetch
        if stale or (unknown and may_refetch):
            async with self._lock:
                self._backing_off(now)
                if self._fetched_at is None or self._fetched_at < now:
                    await self._fetch()
        found = self._keys.get(kid)
        if found is None:
            raise TokenRejected("signed by an unknown key")
        return found

    def _backing_off(self, now: float) -> None:
        if self._failed_at is None:
            return
        wait = min(FAILED_FETCH_RETRY_SECONDS * 2 ** (self._failures - 1), self._min_refetch)
        if now - self._failed_at < wait:
            left = wait - (now - self._failed_at)
            raise KeysUnavailable(
                f"the signing keys could not be fetched; next try in {left:.0f} s"
            )

    async def _fetch(self) -> None:
        try:
            metadata = await self._json(self._metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise ValueError("the OpenID configuration names no jwks_uri")
            jwks = await self._json(jwks_uri)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            if self._keys:  # keep checking with the keys we have; retry later
                self._fetched_at = self._clock()
                log.warning("teams.keys_refresh_failed", extra={"fields": {"error": repr(exc)}})
                return
            self._failed_at = self._clock()
            self._failures += 1
            raise KeysUnavailable(f"the signing keys could not be fetched: {exc!r}") from None
        self._keys = _signing_keys(jwks)
        self._fetched_at = self._clock()
        self._failed_at, self._failures = None, 0
        log.info("teams.keys_fetched", extra={"fields": {"keys": len(self._keys)}})

    async def _json(self, url: str) -> dict[str, Any]:
        async with self._session.get(url) as response:
            response.raise_for_status()
            data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return data


def _signing_keys(jwks: dict[str, Any]) -> dict[str, SigningKey]:
    keys: dict[str, SigningKey] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            public = jwt.PyJWK(entry, algorithm="RS256").key
        except jwt.PyJWTError:
            log.warning("teams.key_unreadable", extra={"fields": {"kid": kid}})
            continue
        endorsed = entry.get("endorsements")
        channels = frozenset(e for e in endorsed if isinstance(e, str)) if endorsed else frozenset()
        keys[kid] = SigningKey(public, channels)
    return keys


def _same_url(url: object) -> str:
    return url.rstrip("/").lower() if isinstance(url, str) else ""


def _reason(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad signature"
    return f"invalid token: {type(exc).__name__}"
