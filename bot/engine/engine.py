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
from bot.engine.conversation import Conversation, failure_text
from bot.engine.machine import CompiledFlows
from bot.engine.record import turn_row
from bot.engine.turn import DUPLICATE, Inbound, TurnResult, clean_text
from bot.engine.underway import TurnUnderway, deadline
from bot.errors import DuplicateMessageError
from bot.flows.model import OTHERWISE
from bot.nlu.match import IntentMatch
from bot.nlu.results import on_screen, with_result_number
from bot.nlu.unspaced import reads_as_sentence
from bot.store.base import ConversationRow, ConversationStore, MessageType, Session

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
        # Other names people use for the repositories ("the bot"): alias -> repository.
        self.aliases = {alias: r.name for r in self.settings.repos for alias in r.aliases}

    async def handle(self, inbound: Inbound) -> TurnResult:
        """Run one turn for ``inbound.user_id``: one at a time per user, in arrival order.

        Access first: a sender who may not talk gets the refusal and nothing is stored. A
        message whose MessageSid was handled already (a retry) is answered by nobody: the
        session and that fact come back in one read, and the turn's save records the MessageSid
        as handled in the same transaction as the session and the row. An admin's
        `invite`/`revoke`/`who` is answered here; everyone else's turn sees only the
        repositories they may read."""
        began = time.perf_counter()
        async with self.locks.hold(inbound.user_id):
            viewer = inbound.viewer or await self.access.viewer(inbound.user_id)
            if not viewer.allowed:
                refusal = self.settings.access.refusal
                return TurnResult((refusal,), "", None, None, ("refused: not on the list",))
            session, handled = await self._load(inbound)
            if handled:
                return DUPLICATE
            admin_reply = await self.admin.handle(viewer, clean_text(inbound.text))
            if admin_reply is not None:
                if not await self.record(inbound, admin_reply, MessageType.ADMIN):
                    return DUPLICATE
                return TurnResult((admin_reply,), "", "admin", None, ("admin command",))
            return await self._turn(
                inbound, session or Session(inbound.user_id), repos=viewer.repos, began=began
            )

    async def _load(self, inbound: Inbound) -> tuple[Session | None, bool]:
        if inbound.message_sid is None:
            return await self.store.load_session(inbound.user_id), False
        return await self.store.load_turn(inbound.user_id, inbound.message_sid)

    async def record(self, inbound: Inbound, response: str, message_type: MessageType) -> bool:
        """Keep a message that gets no turn (an admin command, one over the rate limit) with
        what it was answered, its MessageSid marked handled; the conversation does not move.
        False: that MessageSid was handled already (a retry), and nothing was kept."""
        row = ConversationRow(
            user_id=inbound.user_id,
            message=inbound.text,
            response=response,
            timestamp=inbound.received_at or self.clock(),
            message_type=message_type,
            message_sid=inbound.message_sid,
            channel=inbound.channel,
        )
        try:
            await self.store.append_rows([row])
        except DuplicateMessageError:
            return False
        return True

    def failure_text(self) -> str:
        """What a failed turn says (the flows' `error` message), for a layer that saw the turn
        fail outside the engine (the store down, the turn lost)."""
        return failure_text(self.flows.current)

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
                fired.append((user_id, await self._timeout_turn(session, viewer.repos, now)))
        return fired

    async def _turn(
        self,
        inbound: Inbound,
        session: Session,
        *,
        repos: tuple[str, ...],
        began: float | None = None,
    ) -> TurnResult:
        """A user's message; ``began``: perf_counter() when it reached the engine (the reply
        latency the dashboard shows)."""
        now = inbound.received_at or self.clock()
        turn = self._begin(inbound, session, repos)
        convo, compiled = turn.convo, turn.compiled
        await turn.run(lambda: self._dispatch(convo, compiled, now, media=inbound.media))
        turn.session.last_activity = now
        # A state's timeout counts from the user's last message in it.
        return await self._finish(turn, now, since=now, began=began)

    async def _timeout_turn(
        self, session: Session, repos: tuple[str, ...], now: float
    ) -> TurnResult:
        """A state's timeout firing, with no message: the user is moved to its target."""
        tick = Inbound(user_id=session.user_id, text="", channel="timeout", received_at=now)
        turn = self._begin(tick, session, repos)
        await turn.run(lambda: self._fire_timeout(turn.convo, turn.compiled))
        # From entering the target (None: the flows dropped it); one that failed is not fired
        # again on every sweep.
        since = None if turn.message_type is MessageType.ERROR else turn.convo.entered_at
        return await self._finish(turn, now, since=since, tick=True)

    def _begin(self, inbound: Inbound, session: Session, repos: tuple[str, ...]) -> TurnUnderway:
        compiled = self.flows.current
        hidden = forget_hidden(session, repos)
        convo = Conversation(
            compiled=compiled,
            session=session,
            text=clean_text(inbound.text),
            ports=self.ports,
            actions=self.actions,
            classifier=self.ports.classifier,
            clock=self.clock,
            profile_name=inbound.profile_name,
            repos=repos,
            aliases=self.aliases,
        )
        if hidden:
            convo.trace.append("a repository no longer readable was forgotten")
        return TurnUnderway(inbound, compiled, convo, session, session.snapshot())

    async def _finish(
        self,
        turn: TurnUnderway,
        now: float,
        *,
        since: float | None,
        began: float | None = None,
        tick: bool = False,
    ) -> TurnResult:
        convo, compiled, session = turn.convo, turn.compiled, turn.session
        session.state = convo.state
        session.flow_version = compiled.version
        session.timeout_at = deadline(compiled, convo.state, since)  # the one place it is set
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # transitions' async machine swallows a cancellation; a half turn must not be saved
            # as if answered (its message would count as handled, its reply never sent).
            raise asyncio.CancelledError
        replies = tuple(convo.replies)
        latency = None if began is None else (time.perf_counter() - began) * 1000
        row = turn_row(
            turn.inbound,
            convo,
            before=turn.before,
            session=session,
            message_type=turn.message_type,
            now=now,
            latency_ms=latency,
            tick=tick,
        )
        try:
            await self.store.save_turn(session, [row])
        except DuplicateMessageError:  # a retry of it ran meanwhile (another instance)
            return DUPLICATE
        return TurnResult(
            replies, convo.state, convo.intent, convo.score, tuple(convo.trace), turn.choices
        )

    async def _dispatch(
        self, convo: Conversation, compiled: CompiledFlows, now: float, *, media: int = 0
    ) -> MessageType:
        session = convo.session
        limit = self.settings.limits.max_message_chars
        if not session.state:
            await convo.start()
            if media and not convo.text:
                convo.say(convo.message("media"))
            await self._first_words(convo, compiled, limit)
            return MessageType.TEXT
        if compiled.state(session.state) is None:
            # The state was removed by a flow edit: restart its flow (or the entry state).
            flow = compiled.flows.flows.get(session.state.partition(".")[0])
            convo.trace.append(f"state {session.state} is gone (flows {compiled.version})")
            convo.say(convo.message("flows_changed"))
            await convo.start(flow.start if flow else None)
            return MessageType.NOTICE
        if self._inactive(session, now):
            convo.reset_slots(keep=("repo",))
            convo.say(convo.message("inactive"))
            await convo.start()
            return MessageType.TIMEOUT
        if session.timeout_at is not None and session.timeout_at <= now:
            await self._fire_timeout(convo, compiled)
        if not convo.text:
            convo.say(convo.message("media" if media else "empty"))
            return MessageType.EMPTY
        if len(convo.text) > limit:
            convo.say(convo.message("too_long", length=len(convo.text), limit=limit))
            return MessageType.TOO_LONG
        await convo.respond(self._understood(convo, compiled, convo.state))
        return MessageType.TEXT

    def _understood(self, convo: Conversation, compiled: CompiledFlows, state: str) -> IntentMatch:
        """What the text asks for in ``state``. A result on screen named by its symbol or file
        ("explain the get_bucket one") is that result's number, when the text is then a
        command about a result; otherwise the text is matched as typed."""
        matcher = compiled.matcher(state)
        renumbered = with_result_number(convo.text, on_screen(convo.session.slots))
        if renumbered is not None:
            match = matcher.match(renumbered, repos=convo.repos, aliases=self.aliases)
            intent = compiled.flows.intents.get(match.intent or "")
            if intent is not None and intent.about == "result" and "number" in match.entities:
                convo.trace.append(f"a result named: read as '{renumbered}'")
                return match
        return matcher.match(convo.text, repos=convo.repos, aliases=self.aliases)

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
        match = self._understood(convo, compiled, state.id)
        command = compiled.flows.globals.get(match.intent or "")
        if (
            command is not None
            and command.builtin == "hint"
            and not match.sure
            and len(match.unknown_words) > 2
            and await self._plausible_search(convo, match)
        ):
            # "hlo bro, jinja me macros kaise kaam karte h": a greeting and a question; the
            # welcome greets, the question is answered after it.
            convo.trace.append("first message: a greeting and a question, answered")
            await convo.respond(IntentMatch(None, match.score, match.entities, how="query"))
        elif command is not None and command.builtin == "hint":
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
        if len(words) >= 3 or convo.text.rstrip().endswith("?") or reads_as_sentence(convo.text):
            return True
        search = self.ports.search
        for name in convo.repos:
            if await search.occurs(convo.text, name):
                return True
        return False

    def _inactive(self, session: Session, now: float) -> bool:
        idle = self.settings.sessions.timeout_minutes * 60
        return bool(session.last_activity) and now - session.last_activity > idle

    async def _fire_timeout(self, convo: Conversation, compiled: CompiledFlows) -> MessageType:
        state = compiled.state(convo.session.state)
        if state is None or state.timeout is None:  # the flows changed since it was set
            return MessageType.TIMEOUT
        convo.trace.append(f"timeout {state.id} -> {state.timeout.target}")
        await convo.start(state.timeout.target, clear_back=False)
        return MessageType.TIMEOUT
