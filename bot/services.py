"""The composition root: the shared parts of a running bot, built from Settings, connected and
closed together.

The web app, the terminal chat and the conversation-test runner all build the same Services, so a
conversation behaves the same everywhere. Nothing below it imports this module: the engine and the
actions see a Services only as the ports they declare (bot/engine/ports.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.access.admin import Admin
from bot.access.policy import AccessPolicy
from bot.actions import default_actions
from bot.background import cancel_all
from bot.cache import SharedCache
from bot.config import Settings
from bot.coord.base import KeyedLock
from bot.coord.memory import MemoryKeyedLock
from bot.engine.actions import ActionRegistry
from bot.engine.engine import Engine
from bot.engine.registry import FlowRegistry
from bot.llm.classify import LLMIntentClassifier
from bot.llm.providers import check as check_llm
from bot.llm.providers import configured
from bot.nlu.classify import IntentClassifier
from bot.search.resultcache import ResultCache
from bot.search.service import SearchService
from bot.store.base import ConversationStore
from bot.store.factory import open_store

if TYPE_CHECKING:
    from bot.llm.router import LLMRouter
    from bot.search.gitsync import GitSync

log = logging.getLogger("bot.services")

__all__ = ["Services", "default_actions"]


@dataclass(eq=False)
class Services:
    settings: Settings
    store: ConversationStore
    search: SearchService
    flows: FlowRegistry
    locks: KeyedLock
    actions: ActionRegistry
    clock: Callable[[], float] = time.time
    # Builds `llm` when it is first used: the provider clients and the prompts are not imported
    # nor made for a conversation that never needs a language model.
    make_llm: Callable[[], LLMRouter | None] | None = None
    classifier: IntentClassifier | None = None
    cache: SharedCache | None = None  # answers and search results (Redis or in process)
    git: GitSync | None = None  # keeps the `git:` repositories current
    engine: Engine = field(init=False)
    access: AccessPolicy = field(init=False)
    admin: Admin = field(init=False)
    _llm: LLMRouter | None = field(default=None, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.access = AccessPolicy(self.settings.access, self.settings.repos, self.store)
        self.admin = Admin(self.access, clock=self.clock)
        self.engine = Engine(
            flows=self.flows,
            store=self.store,
            locks=self.locks,
            actions=self.actions,
            ports=self,
            access=self.access,
            admin=self.admin,
            clock=self.clock,
        )

    @property
    def llm(self) -> LLMRouter | None:
        """The language models (None: none at all, not even local mode), built on first use."""
        if self.make_llm is not None:
            make, self.make_llm = self.make_llm, None
            self._llm = make()
        return self._llm

    @llm.setter
    def llm(self, router: LLMRouter | None) -> None:
        self.make_llm = None
        self._llm = router

    def repo_listing(self, names: tuple[str, ...]) -> list[dict[str, Any]]:
        """`repos` in flow templates: the repositories ``names`` (one sender's), numbered."""
        repos = (self.settings.repo(name) for name in names)
        return [
            {"n": i, "name": r.name, "description": r.description, "aliases": r.aliases}
            for i, r in enumerate((r for r in repos if r is not None), start=1)
        ]

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        store: ConversationStore | None = None,
        search: SearchService | None = None,
        locks: KeyedLock | None = None,
        actions: ActionRegistry | None = None,
        clock: Callable[[], float] = time.time,
        llm: LLMRouter | None = None,
        watch_flows: bool | None = None,
        start_search: bool = True,
    ) -> Services:
        """Open the store, load the flows (FlowError lists every problem) and start the search.

        The language models come from ``llm`` or ``settings.llm``, made on first use (see
        ``_router``); settings they could not work with are refused here all the same."""
        check_llm(settings.llm)
        actions = actions or default_actions()
        check_cache = settings.flows.check_cache
        flows = FlowRegistry(
            settings.path(settings.flows.dir),
            actions=actions,
            nlu=settings.nlu,
            base=settings.base_dir,
            check_cache=settings.path(check_cache) if check_cache else None,
        )
        store = store or open_store(settings)
        try:
            await store.open()
        except BaseException:
            if llm is not None:
                await llm.aclose()
            raise
        search = search or SearchService.from_settings(settings)
        cache = SharedCache.from_settings(settings)
        if cache is not None:
            results = ResultCache(cache, index_version=search.version, config=settings.search)
            search.use_cache(results)
        git = None
        if any(r.git for r in settings.repos):
            from bot.search.gitsync import GitSync  # only with a repository to keep current

            git = GitSync.from_settings(settings, search)
        services = cls(
            settings=settings,
            store=store,
            search=search,
            flows=flows,
            locks=locks or MemoryKeyedLock(),
            actions=actions,
            clock=clock,
            make_llm=functools.partial(_router, settings, llm, cache, search),
            cache=cache,
            git=git,
        )
        if configured(settings):  # with no model to ask, fuzzy matching decides alone
            services.classifier = LLMIntentClassifier(lambda: services.llm, clock=clock)
        access = settings.access
        if access.mode == "allowlist" and not (access.users or access.groups or access.admins):
            log.warning(
                "access.nobody_listed",
                extra={
                    "fields": {
                        "warning": "access.mode is allowlist and config.yaml names nobody: only "
                        "people added with `python -m bot users add` may talk"
                    }
                },
            )
        try:
            if start_search:
                await search.start()
                if services.git is not None:
                    await services.git.start()
        except BaseException:
            await services.close()  # an open store left behind would keep the process alive
            raise
        if settings.flows.reload if watch_flows is None else watch_flows:
            interval = settings.flows.reload_poll_seconds
            services._tasks.append(asyncio.create_task(flows.watch(interval=interval)))
        return services

    async def close(self) -> None:
        """Close every part, even when one of them fails: the store in particular must always
        be closed (its connections' threads would otherwise keep the process from exiting)."""
        async with contextlib.AsyncExitStack() as parts:  # closed in reverse order
            parts.push_async_callback(self.store.close)
            if self._llm is not None:  # one never built has nothing to close
                parts.push_async_callback(self._llm.aclose)
            parts.push_async_callback(self.search.close)
            if self.git is not None:
                parts.push_async_callback(self.git.close)
            parts.push_async_callback(self._stop_tasks)

    async def _stop_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_all(tasks)

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _router(
    settings: Settings, given: LLMRouter | None, cache: SharedCache | None, search: SearchService
) -> LLMRouter:
    """``given``, or the router of ``settings.llm``: with no key configured it answers in local
    mode (from search results), so the LLM actions always have an answer. Its completions are
    kept in ``cache`` when there is one."""
    from bot.llm.cache import AnswerCache
    from bot.llm.router import LLMRouter

    llm = given or LLMRouter.from_settings(settings)
    if cache is not None:
        answers = AnswerCache(
            cache, template_version=llm.prompts.version, index_version=search.version
        )
        llm.use_cache(answers)
    return llm
