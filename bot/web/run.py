"""Serve the app: `python server.py` and `python -m bot serve` both end up here."""

from __future__ import annotations

import asyncio
import errno
import os
import socket

from aiohttp import web

from bot.config import Settings
from bot.errors import BotError
from bot.web.app import create_app, log_ready
from bot.web.logs import configure_logging

# Twilio gives up on a webhook after 15 s; in-flight requests get that long to finish at shutdown.
SHUTDOWN_TIMEOUT_SECONDS = 15.0
BACKLOG = 128


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run until SIGINT/SIGTERM, then stop accepting, finish in-flight turns and close clients.

    The port is taken before anything starts, so a port in use is one error (BotError, exit 2)
    and not a start-up followed by a crash; server.ready is logged once the port is listening.
    """
    configure_logging(settings)
    # Everything the server writes (database, index of private code, backups) is its user's only.
    os.umask(0o077)
    sock = listen(host or settings.server.host, port or settings.server.port)
    try:
        app = create_app(settings)
    except BaseException:
        sock.close()
        raise
    bound_host, bound_port = sock.getsockname()[:2]
    install_fast_loop()
    web.run_app(
        app,
        sock=sock,
        access_log=None,  # one structured line per event comes from the handlers instead
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        # run_app calls `print` once, after every site has started listening: the moment the
        # server is ready. Its banner is replaced by the structured server.ready line.
        print=lambda _banner: log_ready(app, bound_host, bound_port),
        handle_signals=True,
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or a BotError saying in one line what to do instead."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BotError(
                f"port {port} on {host} is already in use (another server?): stop what listens "
                f"there, or choose another port with PORT={port + 1} or server.port in the "
                "config file"
            ) from None
        reason = exc.strerror or str(exc)
        raise BotError(f"cannot listen on {host} port {port}: {reason}") from None


def install_fast_loop() -> None:
    """uvloop when it is installed: the same aiohttp code, a faster event loop."""
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
