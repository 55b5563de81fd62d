"""Serve the app: `python server.py` and `python -m bot serve` both end up here."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.errors import BotError
from bot.web.app import REQUESTS_SHARE, create_app, log_ready
from bot.web.logs import configure_logging

log = logging.getLogger("bot.web")

BACKLOG = 128
FORCED_EXIT_CODE = 70


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run until SIGINT/SIGTERM, then stop accepting, finish in-flight turns and close clients,
    all within server.shutdown_grace_seconds (then the process exits hard).

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
    grace = settings.server.shutdown_grace_seconds
    app.on_shutdown.append(exit_hard_after(grace))
    install_fast_loop()
    web.run_app(
        app,
        sock=sock,
        access_log=None,  # one structured line per event comes from the handlers instead
        shutdown_timeout=grace * REQUESTS_SHARE,
        # run_app calls `print` once, after every site has started listening: the moment the
        # server is ready. Its banner is replaced by the structured server.ready line.
        print=lambda _banner: log_ready(app, bound_host, bound_port),
        handle_signals=True,
    )


def exit_hard_after(grace: float) -> Callable[[web.Application], Awaitable[None]]:
    """An on_shutdown hook: should the orderly shutdown still be running ``grace`` seconds after
    it began (a thread that never ends, a client that never closes), end the process anyway,
    before the platform's SIGKILL, with a line saying so. Nothing acknowledged is lost: such
    turns were kept in the store and are finished at the next start."""

    async def start(_app: web.Application) -> None:
        def force() -> None:
            log.error("server.shutdown_forced", extra={"fields": {"grace_seconds": grace}})
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(FORCED_EXIT_CODE)

        timer = threading.Timer(grace, force)
        timer.daemon = True  # never itself the thread that keeps the process alive
        timer.start()

    return start


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
