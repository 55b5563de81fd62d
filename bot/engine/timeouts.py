"""The background sweep that fires due state timeouts and hands the replies to a channel.

Timers are stored with the session (``session.timeout_at``), so a restart loses none: the first
sweep after it fires what fell due meanwhile. Where no sweep runs (the terminal chat), a due
timeout fires on the user's next message instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.engine.engine import Engine

log = logging.getLogger("bot.engine")

Deliver = Callable[[str, Sequence[str]], Awaitable[None]]  # (user id, replies)


async def sweep_once(engine: Engine, deliver: Deliver) -> int:
    """Fire what is due now and deliver it; how many users were moved."""
    fired = await engine.fire_due_timeouts()
    for user_id, result in fired:
        if result.replies:
            try:
                await deliver(user_id, result.replies)
            except Exception:  # one failed delivery must not stop the others
                log.exception("timeouts.delivery_failed")
    return len(fired)


async def run_sweep(engine: Engine, deliver: Deliver, *, interval: float = 5.0) -> None:
    """Sweep every ``interval`` seconds until cancelled."""
    while True:
        try:
            count = await sweep_once(engine, deliver)
            if count:
                log.info("timeouts.fired count=%d", count)
        except Exception:
            log.exception("timeouts.sweep_failed")
        await asyncio.sleep(interval)
