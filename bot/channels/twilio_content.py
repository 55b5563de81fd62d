"""Content API templates for interactive WhatsApp messages, each created once.

A template is named by its shape (`codechat_quick_reply_3`, whatsapp_render.ContentTemplate) and
carries no content, so the Content API itself remembers which exist: at the first need, this
process reads the account's templates once and keeps name -> SID in memory; a template not there
is created (once, even when many replies need it at the same moment) and remembered. Other
instances and the next start find it by its name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.channels.whatsapp_render import ContentTemplate

log = logging.getLogger("bot.channels.twilio")

ListTemplates = Callable[[], Awaitable[dict[str, str]]]  # friendly_name -> content SID
CreateTemplate = Callable[[ContentTemplate], Awaitable[str]]  # -> the new content SID


class ContentTemplates:
    def __init__(self, *, list_all: ListTemplates, create: CreateTemplate) -> None:
        self._list_all = list_all
        self._create = create
        self._sids: dict[str, str] | None = None  # None: not read from the API yet
        self._lock = asyncio.Lock()

    async def sid(self, template: ContentTemplate) -> str:
        name = template.name
        if self._sids is not None and name in self._sids:
            return self._sids[name]
        async with self._lock:
            if self._sids is None:
                self._sids = await self._list_all()
                log.info("content.templates_read", extra={"fields": {"count": len(self._sids)}})
            if name not in self._sids:
                self._sids[name] = await self._create(template)
                log.info("content.template_created", extra={"fields": {"kind": template.kind}})
            return self._sids[name]
