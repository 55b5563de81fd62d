"""The conversation engine: one message in, replies out, state saved."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bot.access.visible import forget_hidden
from bot.coord.base import KeyedLock
from bot.engine.actions import ActionRegistry
from bot.engine.conversation import Conversation
from bot.engine.machine import CompiledFlows
from bot.engine.record import turn_row
from bot.engine.turn import Inbound, TurnResult, clean_text
from bot.flows.model import OTHERWISE
from bot.nlu.match import IntentMatch
from bot.store.base import ConversationRow, ConversationStore, Session

if TYPE_CHECKING:
    from bot.access.admin import Admin
    from bot.access.policy import AccessPolicy
    from bot.engine.ports import TurnPorts

log = logging.getLogger("bot.engine")


class FlowSource(Protocol):
    """Hands out the flows currently live (a new version after a reload)."""

    @property
    def current(self) -> CompiledFlows: ...


class Engine:
    def __init__(
        self,
        *,
        flows: FlowSource,
        store: ConversationStore,
        locks: KeyedLock,
        actions: ActionRegistry,
        ports: TurnPorts,
        access: AccessPolicy,
        admin: Admin,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.flows = flows
        self.store = store
        self.locks = locks
        self.actions = actions
        self.ports = ports
        self.access = access
        self.admin = admin
        self.clock = clock
        self.settings = ports.settings

    async def handle(self, inbound: Inbound) -> TurnResult:
        """Run one turn for ``inbound.user_id``: one at a time per user, in arrival order.

        Access first: a sender who may not talk gets the refusal and nothing is stored; an
        admin's `invite`/`revoke`/`who` is answered here; everyone else's turn sees only the
        repositories they may read."""
        began = time.perf_counter()
        async with self.locks.hold(inbound.user_id):
            viewer = inbound.viewer or await self.access.viewer(inbound.user_id)
            if not viewer.allowed:
                refusal = self.settings.access.refusal
                return TurnResult((refusal,), "", None, None, ("refused: not on the list",))
            admin_reply = await self.admin.handle(viewer, clean_text(inbound.text))
            if admin_reply is not None:
                return await self._admin_turn(inbound, admin_reply)
            session = await self.store.load_session(inbound.user_id)
            return await self._turn(
                inbound, session or Session(inbound.user_id), repos=viewer.repos, began=began
            )

    async def _admin_turn(self, inbound: Inbound, reply: str) -> TurnResult:
        """An admin command's row is kept like any turn's (it also marks the message handled);
        the conversation itself does not move."""
        row = ConversationRow(
            user_id=inbound.user_id,
            message=inbound.text,
            response=reply,
            timestamp=inbound.received_at or self.clock(),
            message_type="admin",
            message_sid=inbound.message_sid,
            channel=inbound.channel,
        )
        await self.store.append_rows([row])
        return TurnResult((reply,), "", "admin", None, ("admin command",))

    async def fire_due_timeouts(
        self, now: float | None = None, *, limit: int = 100
    ) -> list[tuple[str, TurnResult]]:
        """Fire the state timeouts (`timeout: {after, to}`) that are due at ``now``: each user is
        moved to the timeout's target and gets what it says. Returns (user, result) pairs for the
        caller to deliver. Timers live in the store (session.timeout_at), so they survive a
        restart; a message that arrives first fires a due timeout itself."""
        now = self.clock() if now is None else now
        fired: list[tuple[str, TurnResult]] = []
        for user_id in await self.store.due_sessions(now, limit):
            async with self.locks.hold(user_id):
                session = await self.store.load_session(user_id)
                if session is None or session.timeout_at is None or session.timeout_at > now:
                    continue  # a message got there first
                if self._inactive(session, now):
                    # Away past the inactivity timeout (the server was down, say): no message
                    # out of the blue; their next message starts afresh anyway.
                    session.timeout_at = None
                    await self.store.save_turn(session, [])
                    continue
                viewer = await self.access.viewer(user_id)
                if not viewer.allowed:  # revoked since: nothing more is sent to them
                    session.timeout_at = None
                    await self.store.save_turn(session, [])
                    continue
                tick = Inbound(user_id=user_id, text="", channel="timeout", received_at=now)
                turn = await self._turn(tick, session, repos=viewer.repos, tick=True)
                fired.append((user_id, turn))
        return fired

    async def _turn(
        self,
        inbound: Inbound,
        session: Session,
        *,
        repos: tuple[str, ...],
        tick: bool = False,
        began: float | None = None,
    ) -> TurnResult:
        """``began``: perf_counter() when the message reached the engine (reply latency)."""
        now = inbound.received_at or self.clock()
        compiled = self.flows.current
        hidden = forget_hidden(session, repos)
        before = session.snapshot()
        text = clean_text(inbound.text)
        convo = Conversation(
            compiled=compiled,
            session=session,
            text=text,
            ports=self.ports,
            actions=self.actions,
            classifier=self.ports.classifier,
            clock=self.clock,
            profile_name=inbound.profile_name,
            repos=repos,
        )
        if hidden:
            convo.trace.append("a repository no longer readable was forgotten")
        message_type = "text"
        try:
            message_type = await (
                self._fire_timeout(convo, compiled)
                if tick
                else self._dispatch(convo, compiled, now, media=inbound.media)
            )
        except Exception:
            log.exception("turn.failed", extra={"state": before.state})
            session = before
            convo.state = before.state
            convo.replies[:] = [convo.message("error")]
            message_type = "error"
        session.state = convo.state
        session.flow_version = compiled.version
        # The one place a state's timer is set.
        since: float | None
        if not tick:
            session.last_activity = now
            since = now  # a state's timeout counts from the user's last message in it
        elif message_type == "error":
            since = None  # a timeout that fails is not fired again on every sweep
        else:
            since = convo.entered_at  # from entering its target; None: the flows dropped it
        session.timeout_at = _deadline(compiled, convo.state, since)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # transitions' async machine swallows a cancellation; a half turn must not be saved
            # as if answered (its message would count as handled, its reply never sent).
            raise asyncio.CancelledError
        replies = tuple(convo.replies)
        latency = None if began is None else (time.perf_counter() - began) * 1000
        row = turn_row(
            inbound,
            convo,
            before=before,
            session=session,
            message_type=message_type,
            now=now,
            latency_ms=latency,
            tick=tick,
        )
        await self.store.save_turn(session, [row])
        return TurnResult(replies, convo.state, convo.intent, convo.score, tuple(convo.trace))

    async def _dispatch(
        self, convo: Conversation, compiled: CompiledFlows, now: float, *, media: int = 0
    ) -> str:
        session = convo.session
        limit = self.settings.limits.max_message_chars
        if not session.state:
            await convo.start()
            if media and not convo.text:
                convo.say(convo.message("media"))
            await self._first_words(convo, compiled, limit)
            return "text"
        if compiled.state(session.state) is None:
            # The state was removed by a flow edit: restart its flow (or the entry state).
            flow = compiled.flows.flows.get(session.state.partition(".")[0])
            convo.trace.append(f"state {session.state} is gone (flows {compiled.version})")
            convo.say(convo.message("flows_changed"))
            await convo.start(flow.start if flow else None)
            return "notice"
        if self._inactive(session, now):
            convo.reset_slots(keep=("repo",))
            convo.say(convo.message("inactive"))
            await convo.start()
            return "timeout"
        if session.timeout_at is not None and session.timeout_at <= now:
            await self._fire_timeout(convo, compiled)
        if not convo.text:
            convo.say(convo.message("media" if media else "empty"))
            return "empty"
        if len(convo.text) > limit:
            convo.say(convo.message("too_long", length=len(convo.text), limit=limit))
            return "too_long"
        match = compiled.matcher(convo.state).match(convo.text, repos=convo.repos)
        await convo.respond(match)
        return "text"

    async def _first_words(self, convo: Conversation, compiled: CompiledFlows, limit: int) -> None:
        """With `first_message: answer`, a new user's first message is answered after the
        welcome when the state the welcome waits in takes it as other text: "where is
        Environment defined" gets its search, "hi" (an intent there) only the welcome."""
        state = compiled.state(convo.state)
        if not compiled.flows.answer_first_message or state is None:
            return
        if not convo.text or len(convo.text) > limit:
            return
        if not compiled.has_trigger(state, OTHERWISE):
            return
        match = compiled.matcher(state.id).match(convo.text, repos=convo.repos)
        command = compiled.flows.globals.get(match.intent or "")
        if command is not None and command.builtin == "hint":
            convo.trace.append("first message: a pleasantry, the welcome answers it")
            convo.intent, convo.score = match.intent, match.score
        elif match.intent is not None:
            await convo.respond(match)  # "use aiohttp", "help": a command, done at once
        elif await self._plausible_search(convo, match):
            convo.trace.append("first message: answered after the welcome")
            await convo.respond(match)
        else:
            convo.trace.append("first message: only welcomed")

    async def _plausible_search(self, convo: Conversation, match: IntentMatch) -> bool:
        """A first message is searched when it reads as code, is a search said as a sentence,
        is a question or a few words, or names something in the code; "asdf" only gets the
        welcome, and is not kept as a pending query."""
        if match.how in ("code", "query"):
            return True
        words = convo.text.split()
        if len(words) >= 3 or convo.text.rstrip().endswith("?"):
            return True
        search = self.ports.search
        for name in convo.repos:
            if await search.occurs(convo.text, name):
                return True
        return False

    def _inactive(self, session: Session, now: float) -> bool:
        idle = self.settings.sessions.timeout_minutes * 60
        return bool(session.last_activity) and now - session.last_activity > idle

    async def _fire_timeout(self, convo: Conversation, compiled: CompiledFlows) -> str:
        state = compiled.state(convo.session.state)
        if state is None or state.timeout is None:  # the flows changed since it was set
            return "timeout"
        convo.trace.append(f"timeout {state.id} -> {state.timeout.target}")
        await convo.start(state.timeout.target, clear_back=False)
        return "timeout"


def _deadline(compiled: CompiledFlows, state_id: str, since: float | None) -> float | None:
    """When ``state_id``'s own timeout fires, counted from ``since``; None when it has none."""
    state = compiled.state(state_id) if since is not None else None
    if since is None or state is None or state.timeout is None:
        return None
    return since + state.timeout.seconds
