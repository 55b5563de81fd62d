"""Outbound WhatsApp messages through Twilio's REST API, with the real `twilio` client.

One AsyncTwilioHttpClient (one aiohttp session) per process, closed at shutdown. The SDK does not
apply its timeout, so every call is bounded here. A POST that may have reached Twilio is never
retried (the message could already exist); only refusals that prove nothing was created are.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from bot.channels.twilio_content import ContentTemplates
from bot.channels.whatsapp_render import ContentTemplate
from bot.config import Settings
from bot.errors import DeliveryError

log = logging.getLogger("bot.channels.twilio")

# Twilio answers 429 before it creates anything; 503 means the API did not take the request.
_SAFE_TO_RETRY_STATUS = frozenset({429, 503})


class Sender(Protocol):
    """Sends ordered message parts to one recipient, from the bot's one number; returns the
    created message SIDs."""

    async def send(self, to: str, parts: Sequence[str]) -> list[str]: ...

    async def send_interactive(
        self, to: str, template: ContentTemplate, variables: Mapping[str, str], *, from_: str = ""
    ) -> str: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.5


def whatsapp_address(number: str) -> str:
    return number if number.startswith("whatsapp:") or not number else f"whatsapp:{number}"


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's client, sending credentials as a header (aiohttp deprecated its BasicAuth), JSON
    bodies as JSON, and quiet: the SDK writes about eleven free-text INFO lines of its own per
    call (URL with the account, every header, response headers). `outbound.sent` is our one line
    per message."""

    def log_request(self, kwargs: dict[str, Any]) -> None:
        pass

    def log_response(self, status_code: int, response: Any) -> None:
        log.debug("outbound.http_status", extra={"fields": {"status": status_code}})

    async def request(  # type: ignore[no-untyped-def]
        self, method, url, params=None, data=None, headers=None, auth=None, **kwargs
    ):
        if auth is not None:
            headers = {**(headers or {}), "Authorization": aiohttp.encode_basic_auth(*auth)}
        if headers and headers.get("Content-Type") == "application/json" and data is not None:
            # The SDK's sync client sends these (the Content API's) as JSON; its async one
            # would form-encode them under a JSON content type.
            data = json.dumps(data)
        return await super().request(
            method, url, params=params, data=data, headers=headers, auth=None, **kwargs
        )


class TwilioSender:
    """The production Sender."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        timeout_seconds: float,
        api_base_url: str = "",
        status_callback_url: str = "",
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._http = _HttpClient(timeout=timeout_seconds)
        self._client = Client(account_sid, auth_token, http_client=self._http, environment={})
        if api_base_url:
            self._client.api.base_url = api_base_url.rstrip("/")
            self._client.content.base_url = api_base_url.rstrip("/")
        self._templates = ContentTemplates(list_all=self._list_templates, create=self._template)
        self._from = whatsapp_address(from_number)
        self._timeout = timeout_seconds
        self._status_callback = status_callback_url
        self._retry = retry

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioSender:
        base = settings.server.public_base_url.rstrip("/")
        return cls(
            account_sid=settings.twilio.account_sid,
            auth_token=settings.twilio.auth_token,
            from_number=settings.twilio.whatsapp_number,
            timeout_seconds=settings.limits.outbound_timeout_seconds,
            api_base_url=settings.twilio.api_base_url,
            status_callback_url=f"{base}/status" if base else "",
        )

    @staticmethod
    def unconfigured(settings: Settings) -> str:
        """Why nothing can be sent through the REST API; empty when it can."""
        twilio = settings.twilio
        if not twilio.rest_delivery:
            return "twilio.rest_delivery is off"
        if not (twilio.account_sid and twilio.auth_token.strip()):
            return "TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is not set"
        if not twilio.whatsapp_number:
            return "TWILIO_WHATSAPP_NUMBER (the number replies come from) is not set"
        return ""

    async def send(self, to: str, parts: Sequence[str]) -> list[str]:
        """Send the parts one after the other; a part goes only once the previous was accepted."""
        sids = []
        for index, part in enumerate(parts):
            sid = await self._send_one(whatsapp_address(to), part, self._from)
            log.debug("outbound.sent", extra={"fields": {"part": index, "sid": sid}})
            sids.append(sid)
        return sids

    async def send_interactive(
        self, to: str, template: ContentTemplate, variables: Mapping[str, str], *, from_: str = ""
    ) -> str:
        """One quick-reply or list-picker message: the template of its shape (created once) with
        all its text, body, labels and ids, in ``variables``."""
        try:
            sid = await self._templates.sid(template)
        except (TwilioRestException, TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"no content template: {exc!r}"[:200]) from None
        fields = {"content_sid": sid, "content_variables": json.dumps(dict(variables))}
        return await self._send_one(whatsapp_address(to), "", from_ or self._from, **fields)

    async def _list_templates(self) -> dict[str, str]:
        async with asyncio.timeout(self._timeout * 3):
            found = await self._client.content.v1.contents.list_async(page_size=500)
        return {str(c.friendly_name): str(c.sid) for c in found if c.friendly_name}

    async def _template(self, template: ContentTemplate) -> str:
        request = ContentList.ContentCreateRequest(template.request())
        try:
            async with asyncio.timeout(self._timeout):
                created = await self._client.content.v1.contents.create_async(request)
        except TwilioRestException as exc:
            raise DeliveryError(
                f"Twilio refused the content template: HTTP {exc.status}, code {exc.code}"
            ) from None
        return str(created.sid)

    async def _send_one(self, to: str, body: str, from_: str, **fields: str) -> str:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                return await self._create(to, body, from_, **fields)
            except DeliveryError as exc:
                if not exc.retryable or attempt == self._retry.attempts:
                    raise
                await asyncio.sleep(self._retry.backoff_seconds * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _create(self, to: str, body: str, from_: str, **fields: str) -> str:
        extra = {"status_callback": self._status_callback} if self._status_callback else {}
        extra.update(fields)
        if body:
            extra["body"] = body
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(to=to, from_=from_, **extra)
        except TimeoutError:
            raise DeliveryError(
                f"Twilio did not answer within {self._timeout:g}s", maybe_sent=True
            ) from None
        except TwilioRestException as exc:
            # Twilio's own text often repeats the phone number: it stays out of the logs.
            log.debug("outbound.refused_detail", extra={"fields": {"detail": exc.msg}})
            raise DeliveryError(
                f"Twilio refused the message: HTTP {exc.status}, code {exc.code}",
                retryable=exc.status in _SAFE_TO_RETRY_STATUS,
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise DeliveryError(f"cannot connect to Twilio: {exc}", retryable=True) from None
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"Twilio request failed: {exc}", maybe_sent=True) from None
        return str(message.sid)

    async def close(self) -> None:
        await self._http.close()
