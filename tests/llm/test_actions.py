"""The flow actions answer_question, explain_result and classify, on a real search of real files."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.actions import default_actions
from bot.actions.answer import answer_question, explain_result
from bot.actions.classify import classify
from bot.config import Settings
from bot.engine.actions import ActionContext
from bot.llm.classify import LLMIntentClassifier, classify_intent
from bot.llm.router import LLMRouter
from bot.llm.usage import SPEND_KEY
from bot.search.service import SearchService
from bot.store.base import ConversationRow, Session
from bot.store.memory import MemoryStore
from tests.llm.conftest import llm_settings
from tests.llm.fakes import Fail, FakeLLM, Reply

MakeRouter = Callable[..., LLMRouter]

RETRY_PY = '''"""Retrying calls."""

import time


class Retrier:
    """Calls a function again when it fails."""

    def __init__(self, attempts=3):
        self.attempts = attempts

    def call_with_retry(
        self,
        fn,
        *args,
    ):
        """Call fn until it succeeds or the attempts run out,
        sleeping twice as long after each failure."""
        delay = 0.1
        for attempt in range(self.attempts):
            try:
                return fn(*args)
            except OSError:
                time.sleep(delay)
                delay *= 2
        raise RuntimeError("gave up")
'''


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "retry.py").write_text(RETRY_PY)
    (root / "pkg" / "other.py").write_text("def unrelated():\n    return 42\n")
    return root


def with_repo(settings: Settings, repo: Path) -> Settings:
    import dataclasses

    from bot.config import RepoConfig

    return dataclasses.replace(settings, repos=(RepoConfig(name="demo", path=str(repo)),))


@pytest.fixture
async def build(repo: Path, make_router: MakeRouter) -> AsyncIterator[Callable[..., Any]]:
    searches: list[SearchService] = []

    async def make(fake: FakeLLM | None, *, use_llm: bool = True, **llm: Any) -> SimpleNamespace:
        settings = with_repo(llm_settings(fake, **llm), repo)
        search = SearchService.from_settings(settings)
        await search.start()
        searches.append(search)
        router = make_router(settings) if use_llm else None
        return SimpleNamespace(
            settings=settings, store=MemoryStore(), search=search, llm=router, clock=time.time
        )

    yield make
    for search in searches:
        await search.close()


def context(services: SimpleNamespace, text: str, session: Session | None = None, **args: Any):
    session = session or Session(user_id="+15550001", slots={"repo": "demo"})
    repos = tuple(r.name for r in services.settings.repos)  # the sender may read them all
    return ActionContext(session=session, text=text, args=args, ports=services, repos=repos)  # type: ignore[arg-type]


async def test_answer_question_cites_the_code_it_was_given(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    fake_llm.then(Reply("It doubles the delay after each failure (pkg/retry.py:24)."))
    ctx = context(services, "how does call_with_retry work?")

    await answer_question(ctx)

    assert ctx.replies == ["It doubles the delay after each failure (pkg/retry.py:24)."]
    sent = fake_llm.requests[0].body["messages"][-1]["content"]
    assert "pkg/retry.py:" in sent
    assert re.search(r"\n24 +time\.sleep\(delay\)", sent)  # numbered, so it can cite lines
    assert ctx.slots["results"][0]["path"] == "pkg/retry.py"  # "explain 1" works next
    assert ctx.meta["llm"]["provider"] == "openai"
    assert ctx.session.context[SPEND_KEY]["usd"] > 0


async def test_answer_question_without_a_model_lists_the_best_matches(build):
    services = await build(None, use_llm=False)
    ctx = context(services, "call_with_retry")

    await answer_question(ctx)

    (reply,) = ctx.replies
    assert "pkg/retry.py:12" in reply and "call_with_retry" in reply
    assert re.search(r"```\n10 .*\n11 *\n12     def call_with_retry\(", reply)  # its code
    # Why no model was used is for operators (/health, the turn's meta), not for the user.
    assert "language model" not in reply and "No language model was used" not in reply
    assert ctx.meta["llm"]["provider"] == "local"
    assert ctx.meta["llm"]["local_reason"] == "no_provider"


async def test_answer_question_passes_the_conversation_so_far(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    user = "+15550001"
    await services.store.append_rows(
        [ConversationRow(user, "which repo is this?", "It is demo.", time.time())]
    )
    ctx = context(services, "call_with_retry")

    await answer_question(ctx)

    roles = [m["role"] for m in fake_llm.requests[0].body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


async def test_answer_question_asks_for_a_repository_first(build):
    services = await build(None)
    ctx = context(services, "how?", Session(user_id="u"))
    await answer_question(ctx)
    assert ctx.replies == ["Which repository? Pick one first, then ask again."]


async def test_explain_result_uses_the_model(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    fake_llm.then(Reply("It retries with doubling delays."))
    ctx = context(services, "call_with_retry")
    await answer_question(ctx)
    fake_llm.then(Reply("Result 1 retries fn (pkg/retry.py:13)."))
    ctx2 = context(services, "explain 1", ctx.session)

    await explain_result(ctx2)

    assert ctx2.replies == ["Result 1 retries fn (pkg/retry.py:13)."]
    sent = fake_llm.requests[1].body["messages"][-1]["content"]
    assert "Explain result 1" in sent and "def call_with_retry(" in sent


async def test_explain_result_locally_shows_signature_and_docstring(build, repo: Path):
    (repo / "pkg" / "client.py").write_text(
        "from pkg.retry import Retrier\n\n\ndef fetch(url):\n"
        "    return Retrier().call_with_retry(open, url)\n"
    )
    services = await build(None, use_llm=False)
    session = Session(user_id="u", slots={"repo": "demo"})
    ctx = context(services, "delay *= 2", session)
    await answer_question(ctx)
    number = next(r["n"] for r in session.slots["results"] if "delay *= 2" in r["text"])
    ctx2 = context(services, f"explain {number}", session)

    await explain_result(ctx2)

    (reply,) = ctx2.replies
    assert "def call_with_retry(self, fn, *args):" in reply
    assert "Call fn until it succeeds or the attempts run out, sleeping twice" in reply
    # Where the enclosing definition is used, not where it is defined.
    assert "Used or called from `pkg/client.py:5`." in reply
    assert "language model" not in reply  # the operator's note stays out of the chat
    assert ctx2.meta["llm"]["local_reason"] == "no_provider"


async def test_explaining_a_file_deleted_since_the_search_says_so(build):
    services = await build(None)
    gone = {"n": 1, "repo": "demo", "path": "pkg/gone.py", "line": 3, "text": "x", "symbol": None}
    ctx = context(services, "explain 1", Session(user_id="u", slots={"results": [gone]}))
    await explain_result(ctx)
    assert ctx.slots["explain_error"] == (
        "I could not read result 1: There is no file 'pkg/gone.py' in demo."
    )
    assert ctx.replies == []  # the flow says it, with what to send next


@pytest.mark.parametrize(
    ("slots", "text", "expected"),
    [
        ({}, "explain 1", "There are no results to explain yet: search first."),
        (
            {"results": [{"n": 1, "repo": "demo", "path": "pkg/other.py", "line": 1}] * 2},
            "explain 7",
            "Which result? Send “explain” and a number from 1 to 2.",
        ),
        (
            {"results": [{"n": 1, "repo": "demo", "path": "pkg/other.py", "line": 1}] * 2},
            "explain it",
            "Which result? Send “explain” and a number from 1 to 2.",
        ),
    ],
)
async def test_explain_result_bad_input_gets_a_clear_answer(build, slots, text, expected):
    services = await build(None)
    ctx = context(services, text, Session(user_id="u", slots=slots))
    await explain_result(ctx)
    assert ctx.slots["explain_error"] == expected
    assert ctx.replies == []


async def test_the_daily_budget_switches_to_local_mode(fake_llm: FakeLLM, build):
    services = await build(fake_llm, daily_budget_usd=0.0000001)
    session = Session(user_id="u", slots={"repo": "demo"})
    first = context(services, "call_with_retry", session)
    await answer_question(first)
    second = context(services, "call_with_retry", session)
    await answer_question(second)

    assert first.meta["llm"]["provider"] == "openai"
    assert second.meta["llm"]["provider"] == "local"
    assert second.meta["llm"]["local_reason"] == "budget"
    # The user's own budget is the one reason said in the chat, under the local answer.
    assert "pkg/retry.py:12" in second.replies[0]
    assert second.replies[0].endswith(
        "_(today's language-model budget for you is used up, so this answer is built from "
        "search results.)_"
    )
    assert len(fake_llm.requests) == 1


async def test_classify_intent_picks_a_candidate(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    candidates = [("switch_repo", "switch repo"), ("search", "search")]
    fake_llm.then(Reply("switch_repo"), Reply("`search`."), Reply("I think both"), Reply("none"))
    assert await classify_intent(services.llm, "use another codebase", candidates) == "switch_repo"
    classifier = LLMIntentClassifier(lambda: services.llm)
    assert await classifier.classify("look up", candidates) == "search"
    assert await classify_intent(services.llm, "hmm", candidates) is None
    assert await classify_intent(services.llm, "hmm", candidates) is None
    sent = fake_llm.requests[0].body
    assert sent["max_tokens"] == 16 and "switch_repo" in sent["messages"][-1]["content"]


async def test_the_engines_classifier_is_charged_to_the_users_budget(fake_llm: FakeLLM, build):
    services = await build(fake_llm, daily_budget_usd=0.0000001)
    classifier = LLMIntentClassifier(lambda: services.llm)
    candidates = [("switch_repo", "switch repo"), ("search", "search")]
    spend: dict[str, object] = {}
    fake_llm.then(Reply("search"), Reply("search"))
    assert await classifier.classify("look up", candidates, spend=spend) == "search"
    assert spend[SPEND_KEY]["usd"] > 0  # type: ignore[index]
    # The budget is used up: no second call, and no pick (fuzzy matching decides alone).
    assert await classifier.classify("look up", candidates, spend=spend) is None
    assert len(fake_llm.requests) == 1


async def test_the_model_confirms_a_command_or_says_it_is_none(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    classifier = LLMIntentClassifier(lambda: services.llm)
    fake_llm.then(Reply("help"), Reply("none"), Reply("hard to say"), *[Fail(500)] * 6)
    text = "kindly guide me how to search"
    assert await classifier.confirm(text, "help", "help me") is True
    assert await classifier.confirm("how does lexing work", "help", "help me") is False
    assert await classifier.confirm(text, "help", "help me") is None  # neither: unsure
    assert await classifier.confirm(text, "help", "help me") is None  # no model answered
    asked = fake_llm.requests[0].body["messages"][-1]["content"]
    assert "help" in asked and "a search of the code" in asked


async def test_classify_without_a_model_is_unsure(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    fake_llm.then(*[Fail(500)] * 6)
    assert await classify_intent(services.llm, "x", [("a", "a")]) is None
    assert await classify_intent(None, "x", [("a", "a")]) is None


async def test_classify_action_sets_the_slot(fake_llm: FakeLLM, build):
    services = await build(fake_llm)
    fake_llm.then(Reply("more"))
    ctx = context(services, "next ones please", intents={"more": "more", "search": "find"})
    await classify(ctx)
    assert ctx.slots["intent"] == "more"
    assert ctx.session.context[SPEND_KEY]["usd"] > 0  # the action's call is charged
    assert ctx.meta["llm"]["provider"] == "openai"


def test_actions_register_with_their_parameters():
    registry = default_actions()
    assert {"answer_question", "explain_result", "classify"} <= registry.names()
    spec = registry.get("explain_result")
    assert spec is not None and spec.params == frozenset({"number"})
