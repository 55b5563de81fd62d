"""`python -m bot serve`: the WhatsApp webhook server (the same as `python server.py`)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="serve the Twilio WhatsApp webhook, /health and /metrics"
    )
    parser.add_argument("--host", help="address to listen on (default: server.host)")
    parser.add_argument("--port", type=int, help="port to listen on (default: $PORT or 8080)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.web.run import serve

    serve(load_settings(args.config), host=args.host, port=args.port)
    return 0
