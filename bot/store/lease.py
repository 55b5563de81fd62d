"""Holding a claimed MessageSid while its turn runs.

A claim older than ``reclaim_after`` seconds is taken to belong to a dead instance and is handed
to Twilio's retry. A turn can outlast that window (a slow model), so its owner renews the claim
every third of the window until the turn ends: a live owner's claim is never taken over, a dead
one's still is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bot.background import background
from bot.errors import BotError
from bot.store.base import ConversationStore

log = logging.getLogger("bot.store")


def renew_every(reclaim_after_seconds: float) -> float:
    """How often a claim is renewed: three chances before the window runs out."""
    return max(0.05, reclaim_after_seconds / 3)


@contextlib.asynccontextmanager
async def claim_held(
    store: ConversationStore, message_sid: str, *, every: float
) -> AsyncIterator[None]:
    """Renew the claim of ``message_sid`` every ``every`` seconds while the block runs."""
    async with background(_renew(store, message_sid, every), name="claim-lease"):
        yield


async def _renew(store: ConversationStore, message_sid: str, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            if not await store.renew_claim(message_sid):
                return  # handled (the turn saved itself): nothing left to hold
        except BotError as exc:  # the database hiccupped: the next round tries again
            log.warning("claim.renew_failed", extra={"fields": {"error": str(exc)}})
