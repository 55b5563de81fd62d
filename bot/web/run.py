"""Serve the app: `python server.py` and `python -m bot serve` both end up here."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.config import Settings
from bot.web.app import create_app
from bot.web.logs import configure_logging

log = logging.getLogger("bot.web")

# Twilio gives up on a webhook after 15 s; in-flight requests get that long to finish at shutdown.
SHUTDOWN_TIMEOUT_SECONDS = 15.0


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run until SIGINT/SIGTERM, then stop accepting, finish in-flight turns and close clients."""
    configure_logging(settings)
    app = create_app(settings)
    install_fast_loop()
    web.run_app(
        app,
        host=host or settings.server.host,
        port=port or settings.server.port,
        access_log=None,  # one structured line per event comes from the handlers instead
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        print=None,
        handle_signals=True,
    )


def install_fast_loop() -> None:
    """uvloop when it is installed: the same aiohttp code, a faster event loop."""
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
