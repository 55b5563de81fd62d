"""Runs conversation-test cases through the real engine, flows, search and store.

One runner serves many cases: each case is a different user, the fake clock is reset per case and
the store is in memory, so cases are independent and fast.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.config import Settings
from bot.engine.actions import ActionRegistry
from bot.engine.reply import Choice
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.base import ConversationStore, Session
from bot.store.memory import MemoryStore
from bot.testing.cases import Case, Step
from bot.testing.checks import Mismatch, check_step
from bot.testing.clock import FakeClock
from bot.testing.errors import ErrorLog
from bot.testing.llm import RecordedProvider
from bot.testing.search import IndexOnFirstUse
from bot.testing.turn import Turn


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    turns: tuple[Turn, ...]
    mismatches: tuple[Mismatch, ...] = ()
    failed_step: int | None = None  # index into case.steps: a mismatch, or the turn failed
    error: str | None = None  # the case could not run at all
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failed_step is None and not self.mismatches and self.error is None

    @property
    def skipped(self) -> bool:
        return self.case.skip is not None


@dataclass(slots=True)
class ConversationRunner:
    services: Services
    clock: FakeClock
    provider: RecordedProvider = field(default_factory=RecordedProvider)
    errors: ErrorLog = field(default_factory=ErrorLog)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        flows_dir: Path | None = None,
        actions: ActionRegistry | None = None,
        store: ConversationStore | None = None,
    ) -> ConversationRunner:
        """Services like the real ones, with an in-memory store (or ``store``), a fake clock, no
        live reload and no language model (a case with `llm:` gets its recorded replies)."""
        if flows_dir is not None:
            settings = replace(settings, flows=replace(settings.flows, dir=str(flows_dir)))
        clock = FakeClock()
        services = await Services.create(
            settings,
            store=store or MemoryStore(),
            search=IndexOnFirstUse.from_settings(settings),
            clock=clock,
            watch_flows=False,
            actions=actions,
        )
        services.llm = None  # each case brings its own recorded replies, or none
        services.classifier = None
        return cls(services, clock)

    async def close(self) -> None:
        await self.services.close()

    async def __aenter__(self) -> ConversationRunner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def run(self, case: Case) -> CaseResult:
        """Run one case; what the engine logs as an error meanwhile goes into its turns."""
        if case.skip is not None:
            return CaseResult(case, ())
        with self.errors.attached():
            return await self._run(case)

    async def _run(self, case: Case) -> CaseResult:
        started = time.perf_counter()
        self.clock.reset()
        self._use_llm(case)
        try:
            await self._prepare(case)
        except Exception as exc:  # a broken fixture is the case's failure, not the run's
            return CaseResult(case, (), error=f"{type(exc).__name__}: {exc}")
        self.errors.take()  # only what the steps log belongs to them
        turns: list[Turn] = []
        state = case.start or ""
        for index, step in enumerate(case.steps):
            try:
                turn = await self._step(case, step, state)
            except Exception as exc:  # the store or a service failed: this case's failure only
                error = f"step {index + 1} ({step.source}) raised {type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                return CaseResult(case, tuple(turns), error=error, seconds=elapsed)
            state = turn.state
            turns.append(turn)
            mismatches = check_step(step, turn)
            if len(self.provider.unanswered) > 0:
                mismatches.append(_unanswered(self.provider.unanswered))
            if mismatches or turn.errors:
                elapsed = time.perf_counter() - started
                return CaseResult(case, tuple(turns), tuple(mismatches), index, seconds=elapsed)
        left = self.provider.script if case.llm else []
        mismatches = [_unused(len(left))] if left else []
        failed = len(case.steps) - 1 if mismatches else None
        elapsed = time.perf_counter() - started
        return CaseResult(case, tuple(turns), tuple(mismatches), failed, seconds=elapsed)

    async def run_all(self, cases: Sequence[Case]) -> list[CaseResult]:
        return [await self.run(case) for case in cases]

    def _use_llm(self, case: Case) -> None:
        if not case.llm:
            self.services.llm = None
            self.services.classifier = None
            self.provider.load(())
            return
        from bot.llm.classify import LLMIntentClassifier
        from bot.llm.prompts import PromptLibrary
        from bot.llm.router import LLMRouter

        settings = self.services.settings
        self.provider.load(case.llm)
        router = LLMRouter(
            config=settings.llm,
            providers=[self.provider],
            prompts=PromptLibrary(settings.path(settings.flows.prompts_dir)),
            clock=self.clock,
        )
        self.services.llm = router
        self.services.classifier = LLMIntentClassifier(lambda: router, clock=self.clock)

    async def _prepare(self, case: Case) -> None:
        store = self.services.store
        if case.fixtures or case.start or await store.load_session(case.user_id) is not None:
            # Fixtures, a start state, or a user id used before: begin from exactly this.
            session = Session(
                case.user_id,
                state=case.start or "",
                slots=dict(case.fixtures),
                flow_version=self.services.flows.current.version,
                last_activity=self.clock() if case.start else 0.0,
            )
            await store.save_turn(session, [])

    async def _step(self, case: Case, step: Step, state_before: str) -> Turn:
        store = self.services.store
        if step.kind == "advance":
            self.clock.advance(step.seconds)
            replies, intent, score, trace = await self._due(case.user_id)
            choices: tuple[Choice, ...] = ()
        else:
            result = await self.services.engine.handle(
                Inbound(user_id=case.user_id, text=step.text, channel="test")
            )
            replies, intent, score = result.replies, result.intent, result.score
            trace, choices = result.trace, result.choices
        after = await store.load_session(case.user_id)
        return Turn(
            step=step,
            state_before=state_before,
            replies=tuple(replies),
            state=after.state if after else "",
            intent=intent,
            score=score,
            trace=tuple(trace),
            slots=dict(after.slots) if after else {},
            errors=self.errors.take(),
            choices=choices,
        )

    async def _due(
        self, user_id: str
    ) -> tuple[tuple[str, ...], str | None, float | None, tuple[str, ...]]:
        """Timeouts that fall due while the clock moves fire now, as they would in production."""
        for user, result in await self.services.engine.fire_due_timeouts():
            if user == user_id:
                return result.replies, result.intent, result.score, result.trace
        return (), None, None, ()


def _unanswered(calls: list[str]) -> Mismatch:
    asked = calls[-1][:120]
    return Mismatch(
        None,
        f"the flow called the language model {len(calls)} time(s) with no recorded reply left "
        f"(last asked: {asked!r}); add replies under the case's `llm:`",
    )


def _unused(count: int) -> Mismatch:
    return Mismatch(
        None, f"{count} recorded LLM repl{'y was' if count == 1 else 'ies were'} never used"
    )
