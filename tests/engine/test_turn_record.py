"""What each turn leaves for the dashboard: channel, the state before, latency, outcome, the
conversation it belongs to, the actions it ran and the search it made."""

from __future__ import annotations

import time

from bot.analytics.model import Window
from bot.engine.turn import Inbound
from bot.services import Services

USER = "+15550001234"


async def test_each_turn_records_what_the_dashboard_reads(services: Services) -> None:
    t0 = time.time()
    texts = ["hi", "switch repo", "jnja2", "Environment", "zzqx wxq"]
    for i, text in enumerate(texts):
        inbound = Inbound(user_id=USER, text=text, channel="whatsapp", received_at=t0 + i)
        await services.engine.handle(inbound)
    rows = await services.store.history(USER)
    assert [r.channel for r in rows] == ["whatsapp"] * 5
    assert [r.state_before for r in rows] == ["", *(r.state for r in rows[:-1])]
    assert {r.started for r in rows} == {t0}
    assert all(r.latency_ms is not None and 0 <= r.latency_ms < 30_000 for r in rows)
    found = rows[3]
    assert found.state == "search.results" and "search" in found.actions
    search = found.meta["search"]
    assert (search["query"], search["repo"]) == ("Environment", "jinja2")
    assert search["results"] > 0 and search["ms"] >= 0
    assert [r.outcome for r in rows] == ["ok"] * 5  # "zzqx wxq": a search that finds nothing

    page = await services.store.analytics.conversations(Window(t0 - 60, t0 + 60))
    (conversation,) = page.items
    assert (conversation.user, conversation.turns) == ("…1234", 5)


async def test_coming_back_after_the_inactivity_timeout_starts_a_new_conversation(
    services: Services,
) -> None:
    t0 = time.time()
    idle = services.settings.sessions.timeout_minutes * 60
    for at, text in ((t0, "hi"), (t0 + 5, "help"), (t0 + idle + 60, "hello again")):
        await services.engine.handle(
            Inbound(user_id=USER, text=text, channel="slack", received_at=at)
        )
    rows = await services.store.history(USER)
    assert [r.started for r in rows] == [t0, t0, t0 + idle + 60]
    assert rows[2].outcome == "ok" and rows[2].channel == "slack"
    page = await services.store.analytics.conversations(Window(t0 - 60, t0 + idle + 120))
    assert [c.turns for c in page.items] == [1, 2]
