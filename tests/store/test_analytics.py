"""The dashboard's figures, checked on memory, SQLite and PostgreSQL alike: the same rows in give
the same pages out (bot/analytics/model.py), with numbers masked."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any

import pytest

from bot.analytics.buckets import BOUNDS, bucket
from bot.analytics.model import (
    AnalyticsError,
    ConversationFilter,
    ConversationPage,
    Transition,
    Window,
)
from bot.store.base import ConversationRow, ConversationStore, Session
from bot.store.memory import MemoryStore
from tests.store.conftest import StoreFactory

D0 = 19675 * 86400.0  # 2023-11-14 00:00 UTC, a Tuesday
A, B, C, D = "+15550001111", "+15550002222", "+15550003333", "+15550004444"
TWO_DAYS = Window(D0, D0 + 2 * 86400)


def _turn(user: str, at: float, before: str, after: str, **kw: Any) -> ConversationRow:
    fields: dict[str, Any] = {
        "message": f"msg {at}",
        "response": "ok",
        "outcome": "ok",
        "channel": "whatsapp",
        "latency_ms": 100.0,
        **kw,
    }
    return ConversationRow(user_id=user, timestamp=at, state=after, state_before=before, **fields)


def _rows() -> list[ConversationRow]:
    a, b, c = D0 + 3600, D0 + 7200, D0 + 86400 + 60
    search = {"query": "Template", "repo": "jinja2", "results": 3, "ms": 12.0}
    return [
        _turn(A, a, "", "greeting.menu", started=a, actions=("welcome",)),
        _turn(
            A,
            a + 60,
            "greeting.menu",
            "search.results",
            started=a,
            latency_ms=200.0,
            actions=("search",),
            meta={"search": search, "llm": {"cost_usd": 0.002}},
        ),
        _turn(
            A,
            a + 120,
            "search.results",
            "search.results",
            started=a,
            latency_ms=50.0,
            message="call me at +44 7700 900123",
            outcome="not_understood",
        ),
        _turn(B, b, "", "greeting.menu", started=b, channel="slack", latency_ms=300.0),
        _turn(
            B,
            b + 60,
            "greeting.menu",
            "greeting.menu",
            started=b,
            channel="slack",
            latency_ms=400.0,
            message="reset",
            outcome="clarify",
            intent="clarify",
        ),
        _turn(
            B,
            b + 120,
            "greeting.menu",
            "greeting.menu",
            started=b,
            channel="slack",
            latency_ms=1000.0,
            outcome="error",
            message_type="error",
        ),
        _turn(
            B,
            b + 1800,
            "greeting.menu",
            "greeting.menu",
            started=b,
            channel="slack",
            latency_ms=None,
            outcome="timeout",
            message_type="timeout",
            message="",
        ),
        _turn(
            C,
            c,
            "",
            "greeting.menu",
            started=c,
            latency_ms=150.0,
            meta={"search": {"query": "nothing here", "repo": "flask", "results": 0, "ms": 40.0}},
        ),
    ]


async def _fill(store: ConversationStore, rows: list[ConversationRow]) -> None:
    for row in rows:
        await store.save_turn(Session(row.user_id, state=row.state), [row])
    limited = ConversationRow(D, "spam", "", D0 + 3700, "rate_limited", channel="whatsapp")
    admin = ConversationRow(A, "who", "list", D0 + 3800, "admin", channel="whatsapp")
    await store.append_rows([limited, admin])
    assert await store.claim_refusal("+15550005555", D0 + 5000, 60)


@pytest.fixture
async def filled(store: ConversationStore) -> ConversationStore:
    await _fill(store, _rows())
    return store


class TestOverview:
    async def test_per_day_and_channel(self, filled: ConversationStore) -> None:
        page = await filled.analytics.overview(TWO_DAYS)
        days = [(d.day, d.channel, d.messages, d.active_users, d.errors, d.rate_limited, d.cost_usd)
                for d in page.days]  # fmt: skip
        assert days == [
            ("2023-11-14", "slack", 3, 1, 1, 0, 0.0),  # the fired timeout is no message
            ("2023-11-14", "whatsapp", 3, 1, 0, 1, 0.002),  # the rate-limited sender is not active
            ("2023-11-15", "whatsapp", 1, 1, 0, 0, 0.0),
        ]
        assert [(w.week, w.channel, w.active_users) for w in page.weeks] == [
            ("2023-11-13", "slack", 1),
            ("2023-11-13", "whatsapp", 2),
        ]
        assert page.refused_senders == 1

    async def test_totals_and_latency_per_channel(self, filled: ConversationStore) -> None:
        page = await filled.analytics.overview(TWO_DAYS)
        slack, whatsapp = page.channels
        assert (slack.channel, slack.messages, slack.errors) == ("slack", 3, 1)
        assert slack.latency.turns == 3
        assert slack.latency.p50_ms == BOUNDS[bucket(400)]
        assert slack.latency.p95_ms == BOUNDS[bucket(1000)]
        assert (whatsapp.rate_limited, whatsapp.rate_limited_senders) == (1, 1)
        assert whatsapp.latency.p50_ms == BOUNDS[bucket(100)]  # of 50, 100, 150, 200
        assert whatsapp.latency.p95_ms == BOUNDS[bucket(200)]
        total = page.total
        assert (total.channel, total.messages, total.cost_usd) == ("", 7, 0.002)
        assert total.latency.turns == 7

    async def test_a_channel_alone(self, filled: ConversationStore) -> None:
        page = await filled.analytics.overview(TWO_DAYS, channel="slack")
        assert [c.channel for c in page.channels] == ["slack"]
        assert page.total.messages == 3
        assert [(d.channel, d.active_users) for d in page.days] == [("slack", 1)]

    async def test_a_window_counts_the_hours_it_touches(self, filled: ConversationStore) -> None:
        # 01:30-01:31 touches the hour 01:00-02:00: all of A's first turns are in it.
        page = await filled.analytics.overview(Window(D0 + 5400, D0 + 5460))
        assert page.total.messages == 3
        empty = await filled.analytics.overview(Window(D0 - 86400, D0))
        assert (empty.days, empty.total.messages, empty.total.latency.p50_ms) == ((), 0, None)


class TestFunnel:
    async def test_per_state(self, filled: ConversationStore) -> None:
        funnel = await filled.analytics.funnel(TWO_DAYS)
        menu, results = funnel.states
        assert menu.state == "greeting.menu"
        assert (menu.entered, menu.turns, menu.stopped) == (3, 3, 2)
        assert menu.next == (Transition("search.results", 1),)
        assert (menu.not_understood, menu.clarified) == (0, 1)
        assert menu.clarify_rate == pytest.approx(1 / 3)
        assert results.state == "search.results"
        assert (results.entered, results.turns, results.stopped, results.next) == (1, 1, 1, ())
        assert results.not_understood_rate == 1.0

    async def test_misunderstood_texts_are_masked(self, filled: ConversationStore) -> None:
        funnel = await filled.analytics.funnel(TWO_DAYS)
        (text,) = funnel.states[1].misunderstood
        assert (text.text, text.count) == ("call me at …0123", 1)
        assert "7700" not in repr(funnel)

    async def test_a_channel_alone(self, filled: ConversationStore) -> None:
        funnel = await filled.analytics.funnel(TWO_DAYS, channel="slack")
        (menu,) = funnel.states
        assert (menu.entered, menu.turns, menu.stopped, menu.clarified) == (1, 2, 1, 1)


class TestSearches:
    async def test_top_empty_slowest_and_per_repo(self, filled: ConversationStore) -> None:
        stats = await filled.analytics.searches(TWO_DAYS)
        assert [(q.repo, q.query, q.searches, q.no_result) for q in stats.top] == [
            ("flask", "nothing here", 1, 1),
            ("jinja2", "Template", 1, 0),
        ]
        assert [q.query for q in stats.no_result] == ["nothing here"]
        assert [(q.query, q.max_ms, q.avg_ms) for q in stats.slowest] == [
            ("nothing here", 40.0, 40.0),
            ("Template", 12.0, 12.0),
        ]
        assert [(r.repo, r.searches, r.no_result, r.p95_ms) for r in stats.repos] == [
            ("flask", 1, 1, BOUNDS[bucket(40)]),
            ("jinja2", 1, 0, BOUNDS[bucket(12)]),
        ]

    @pytest.mark.parametrize(("limit", "shown"), [(-5, 1), (0, 1), (10**9, 2)])
    async def test_any_limit_is_kept_within_bounds(
        self, filled: ConversationStore, limit: int, shown: int
    ) -> None:
        stats = await filled.analytics.searches(TWO_DAYS, limit=limit)
        assert len(stats.top) == shown

    async def test_one_repository(self, filled: ConversationStore) -> None:
        stats = await filled.analytics.searches(TWO_DAYS, repo="jinja2", limit=5)
        assert [q.query for q in stats.top] == ["Template"]
        assert stats.no_result == ()


class TestConversations:
    async def test_newest_first_masked(self, filled: ConversationStore) -> None:
        page = await filled.analytics.conversations(TWO_DAYS)
        assert page.total == 3
        got = [(c.user, c.channel, c.last_state, c.outcome, c.turns) for c in page.items]
        assert got == [
            ("…3333", "whatsapp", "greeting.menu", "ok", 1),
            ("…2222", "slack", "greeting.menu", "timeout", 4),
            ("…1111", "whatsapp", "search.results", "not_understood", 3),
        ]
        assert page.items[2].started == D0 + 3600 and page.items[2].last_at == D0 + 3720

    @pytest.mark.parametrize(
        ("filters", "users"),
        [
            (ConversationFilter(channel="slack"), ["…2222"]),
            (ConversationFilter(outcome="not_understood"), ["…1111"]),
            (ConversationFilter(last_state="greeting.menu"), ["…3333", "…2222"]),
            (ConversationFilter(limit=1, offset=1), ["…2222"]),
            (ConversationFilter(channel="'; DROP TABLE conversations; --"), []),
        ],
    )
    async def test_filters(
        self, filled: ConversationStore, filters: ConversationFilter, users: list[str]
    ) -> None:
        page = await filled.analytics.conversations(TWO_DAYS, filters)
        assert [c.user for c in page.items] == users
        if filters.limit == 1:
            assert page.total == 3

    async def test_transcript(self, filled: ConversationStore) -> None:
        page = await filled.analytics.conversations(
            TWO_DAYS, ConversationFilter(channel="whatsapp")
        )
        a = next(c for c in page.items if c.user == "…1111")
        turns = await filled.analytics.transcript(a.key)
        assert [(t.state_before, t.state_after, t.outcome) for t in turns] == [
            ("", "greeting.menu", "ok"),
            ("greeting.menu", "search.results", "ok"),
            ("search.results", "search.results", "not_understood"),
        ]
        assert [t.actions for t in turns] == [("welcome",), ("search",), ()]
        assert [t.latency_ms for t in turns] == [100.0, 200.0, 50.0]
        assert turns[1].cost_usd == 0.002
        assert turns[2].text == "call me at …0123" and turns[2].user == "…1111"
        assert "+15550001111" not in repr(turns) and "900123" not in repr(turns)

    @pytest.mark.parametrize("key", [999_999, 0, -1, 2**63, 10**30])
    async def test_an_unknown_conversation_is_empty(
        self, filled: ConversationStore, key: int
    ) -> None:
        assert await filled.analytics.transcript(key) == ()


async def test_facets(filled: ConversationStore) -> None:
    facets = await filled.analytics.facets(TWO_DAYS)
    assert facets.channels == ("slack", "whatsapp")
    assert facets.states == ("greeting.menu", "search.results")
    assert facets.outcomes == ("clarify", "error", "not_understood", "ok", "timeout")
    assert facets.repos == ("flask", "jinja2")


async def test_purge_takes_conversations_and_senders_with_it(filled: ConversationStore) -> None:
    await filled.purge_older_than(D0 + 86400)
    page = await filled.analytics.conversations(TWO_DAYS)
    assert [c.user for c in page.items] == ["…3333"]
    overview = await filled.analytics.overview(TWO_DAYS)
    assert [(d.day, d.active_users) for d in overview.days] == [("2023-11-15", 1)]


async def test_odd_meta_counts_nothing_and_loses_no_turn(store: ConversationStore) -> None:
    odd = {"llm": {"cost_usd": "a lot"}, "search": {"query": "x", "repo": 7, "results": "none"}}
    row = _turn(A, D0 + 10, "", "greeting.menu", started=D0 + 10, meta=odd)
    await store.save_turn(Session(A, state="greeting.menu"), [row])
    assert (await store.history(A))[-1].meta == odd
    overview = await store.analytics.overview(TWO_DAYS)
    assert overview.total.cost_usd == 0.0 and overview.total.messages == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: Window(10.0, 10.0),
        lambda: Window(float("nan"), 10.0),
        lambda: Window(0.0, 500 * 86400.0),
        lambda: ConversationFilter(limit=0),
        lambda: ConversationFilter(limit=10_000),
        lambda: ConversationFilter(offset=-1),
        lambda: ConversationFilter(outcome="fine"),
    ],
)
def test_unusable_windows_and_filters_are_refused_clearly(make: Any) -> None:
    with pytest.raises(AnalyticsError):
        make()


def _random_rows(seed: int) -> list[ConversationRow]:
    rnd = random.Random(seed)
    states = ["greeting.menu", "search.ask", "search.results", "answer.show", "repo.pick"]
    users = [f"+1555000{n:04d}" for n in range(12)]
    rows: list[ConversationRow] = []
    started: dict[str, float] = {}
    state: dict[str, str] = {}
    at = D0
    for _ in range(300):
        at += rnd.uniform(1, 1200)
        user = rnd.choice(users)
        if user not in started or rnd.random() < 0.1:
            started[user], state[user] = at, ""
        after = rnd.choice(states)
        meta: dict[str, Any] = {}
        if rnd.random() < 0.4:
            meta["search"] = {
                "query": rnd.choice(["Template", "render", "nope", "x y", "Render"]),
                "repo": rnd.choice(["jinja2", "flask"]),
                "results": rnd.choice([0, 3, 7]),
                "ms": round(rnd.uniform(1, 300), 1),
            }
        if rnd.random() < 0.3:
            meta["llm"] = {"cost_usd": round(rnd.uniform(0, 0.01), 6)}
        outcome = rnd.choice(["ok"] * 6 + ["not_understood", "clarify", "error", "timeout"])
        rows.append(
            _turn(
                user,
                at,
                state[user],
                after,
                started=started[user],
                channel=rnd.choice(["whatsapp", "slack"]),
                latency_ms=None if outcome == "timeout" else round(rnd.lognormvariate(5, 1), 1),
                outcome=outcome,
                message=rnd.choice(["hm", "what", "call +1 555 123 4567", "zzz"]),
                meta=meta,
            )
        )
        state[user] = after
    return rows


async def test_every_page_matches_the_memory_store(make_store: StoreFactory) -> None:
    """Random traffic over a few days: every figure of every page as the memory store gives it."""
    rows = _random_rows(7)
    store, reference = await make_store(), MemoryStore()
    await _fill(store, rows)
    await _fill(reference, rows)
    windows = [Window(D0, rows[-1].timestamp + 1), Window(D0 + 3 * 3600 + 17, D0 + 86400 + 5)]
    for window in windows:
        got, want = store.analytics, reference.analytics
        assert await got.overview(window) == await want.overview(window)
        assert await got.overview(window, channel="slack") == await want.overview(
            window, channel="slack"
        )
        assert await got.funnel(window) == await want.funnel(window)
        assert await got.searches(window, limit=3) == await want.searches(window, limit=3)
        assert await got.facets(window) == await want.facets(window)
        for filters in (ConversationFilter(limit=5, offset=2), ConversationFilter(outcome="error")):
            page = await got.conversations(window, filters)
            expected = await want.conversations(window, filters)
            # Keys are each store's own (a sequence may skip numbers): compared by what they open.
            assert _keyless(page) == _keyless(expected)
            for mine, theirs in zip(page.items, expected.items, strict=True):
                assert await got.transcript(mine.key) == await want.transcript(theirs.key)


def _keyless(page: ConversationPage) -> ConversationPage:
    return dataclasses.replace(page, items=tuple(dataclasses.replace(i, key=0) for i in page.items))


async def test_concurrent_turns_moving_both_ways_are_all_counted(store: ConversationStore) -> None:
    """Conversations moving A -> B and B -> A at once (the stops of both states change in
    every turn): no turn is lost to a lock, and every conversation stops once."""
    users = [f"+1555000{n:04d}" for n in range(40)]
    for n, user in enumerate(users):
        first = "a.state" if n % 2 else "b.state"
        row = _turn(user, D0 + 10, "", first, started=D0 + 10)
        await store.save_turn(Session(user, state=first), [row])

    async def move(n: int, user: str, step: int) -> None:
        here, there = ("a.state", "b.state") if (n + step) % 2 else ("b.state", "a.state")
        row = _turn(user, D0 + 20 + step, here, there, started=D0 + 10)
        await store.save_turn(Session(user, state=there), [row])

    for step in range(3):
        await asyncio.gather(*(move(n, user, step) for n, user in enumerate(users)))
    funnel = await store.analytics.funnel(TWO_DAYS)
    assert sum(s.stopped for s in funnel.states) == 40
    assert sum(s.turns for s in funnel.states) == 120
