"""Entry point: build the aiohttp app from config.yaml (or $BOT_CONFIG) and serve it on $PORT."""

from __future__ import annotations

import sys

from bot.config import load_settings
from bot.errors import BotError
from bot.web.run import serve


def main() -> int:
    try:
        serve(load_settings())
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
