"""What every Twilio endpoint checks first: body size, form shape, X-Twilio-Signature.

Nothing is stored before these pass, so a refused request changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from multidict import MultiDict

from bot.channels.twilio import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    SignatureChecker,
    parse_form,
)
from bot.errors import MalformedRequestError
from bot.web.metrics import Metrics

log = logging.getLogger("bot.web")


async def read_body(
    request: web.Request,
    max_bytes: int,
    too_large: Callable[[int | None], web.HTTPRequestEntityTooLarge],
) -> bytes:
    """The request's body, or ``too_large(size)`` raised as soon as it is known to exceed
    ``max_bytes`` (from Content-Length, from aiohttp's own limit, or once read)."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise too_large(length)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large(None) from None
    if len(body) > max_bytes:
        raise too_large(len(body))
    return body


class TwilioGuard:
    def __init__(self, *, checker: SignatureChecker, max_bytes: int, metrics: Metrics) -> None:
        self.checker = checker
        self._max = max_bytes
        self._metrics = metrics

    async def form(self, request: web.Request) -> MultiDict[str]:
        """The signed form, or an HTTP error: 413 too large, 400 malformed, 403 bad signature."""
        body = await read_body(request, self._max, self._too_large)
        try:
            form = parse_form(body, request.content_type)
        except MalformedRequestError as exc:
            self._metrics.rejected["malformed"].inc()
            log.warning("webhook.malformed", extra={"fields": {"reason": str(exc)}})
            raise web.HTTPBadRequest(text=f"Malformed request: {exc}") from None
        headers = request.headers
        valid = self.checker.valid(
            raw_path=request.raw_path,
            seen_origin=f"{request.scheme}://{request.host}",
            form=form,
            signature=headers.get(SIGNATURE_HEADER, ""),
            settings_header=headers.get(SIGNATURE_SETTINGS_HEADER, ""),
        )
        if not valid:
            self._metrics.rejected["signature"].inc()
            log.warning(
                "webhook.signature_invalid",
                extra={
                    "fields": {
                        "path": request.path,
                        "signed": SIGNATURE_HEADER in headers,
                        "remote": request.remote,
                    }
                },
            )
            raise web.HTTPForbidden(text="Invalid or missing X-Twilio-Signature.")
        return form

    def _too_large(self, size: int | None) -> web.HTTPRequestEntityTooLarge:
        self._metrics.rejected["too_large"].inc()
        log.warning("webhook.too_large", extra={"fields": {"bytes": size, "limit": self._max}})
        return web.HTTPRequestEntityTooLarge(max_size=self._max, actual_size=size or self._max + 1)
