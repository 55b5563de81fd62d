"""The pages and CSV files over real turns (webhook -> engine -> SQLite): figures shown, numbers
masked everywhere."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.web.dashboard.helpers import PASSWORD, login
from tests.web.dashboard.test_browser import NUMBER, conversations

FULL_NUMBERS = ("15550001111", "15550002222", "15550003333", "7700900123", "900123")


@pytest.fixture
async def client(start: Any) -> Any:
    client, _ = await start(dashboard={"password": PASSWORD})
    await conversations(client)
    assert (await login(client)).status == 303
    return client


async def test_every_page_shows_the_turns_and_no_full_number(client: Any) -> None:
    for path in ("/", "/funnel", "/search", "/conversations", "/export"):
        response = await client.get(f"/dashboard{path}?window=24h")
        assert response.status == 200, path
        body = await response.text()
        for number in FULL_NUMBERS:
            assert number not in body, (path, number)
    overview = await (await client.get("/dashboard/")).text()
    assert 'id="peak-users">3<' in overview
    conversations = await (await client.get("/dashboard/conversations")).text()
    assert {"…1111", "…2222", "…3333"} <= set(re.findall(r"…\d{4}", conversations))
    search = await (await client.get("/dashboard/search")).text()
    assert "make_router" in search
    assert f"call me on …{NUMBER[-4:]} about Router" in search


async def test_each_table_exports_as_csv_with_numbers_masked(client: Any) -> None:
    for name in ("days", "weeks", "channels", "funnel", "queries", "no_result", "slowest",
                 "repos", "conversations"):  # fmt: skip
        response = await client.get(f"/dashboard/export/{name}.csv?window=7d")
        assert response.status == 200, name
        assert response.content_type == "text/csv"
        assert f"codechat-{name}-" in response.headers["Content-Disposition"]
        text = await response.text()
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0], name
        for number in FULL_NUMBERS:
            assert number not in text, (name, number)
    people = await (await client.get("/dashboard/export/conversations.csv")).text()
    rows = list(csv.DictReader(io.StringIO(people)))
    assert sorted(r["user"] for r in rows) == ["…1111", "…2222", "…3333"]


async def test_a_filter_narrows_the_list_and_the_export_alike(client: Any) -> None:
    page = await (await client.get("/dashboard/conversations")).text()
    outcomes = re.findall(r'<span class="pill (\w+)">', page)
    assert len(outcomes) == 3
    chosen = min(set(outcomes), key=outcomes.count)
    expected = [chosen] * outcomes.count(chosen)
    narrowed = await (await client.get(f"/dashboard/conversations?outcome={chosen}")).text()
    assert re.findall(r'<span class="pill (\w+)">', narrowed) == expected
    csv_url = f"/dashboard/export/conversations.csv?outcome={chosen}"
    exported = await (await client.get(csv_url)).text()
    assert [r["outcome"] for r in csv.DictReader(io.StringIO(exported))] == expected


async def test_a_transcript_lists_each_turn_with_its_state_and_intent(client: Any) -> None:
    page = await (await client.get("/dashboard/conversations")).text()
    key = re.search(r'href="/dashboard/conversations/(\d+)\?[^"]*">…1111<', page)
    assert key
    transcript = await (await client.get(f"/dashboard/conversations/{key.group(1)}")).text()
    assert "Conversation with …1111" in transcript
    assert transcript.count("<tr>") == 1 + 5  # the header, then hi, switch repo, 1 and 2 searches
    assert "call me on …0123 about Router" in transcript
    assert "→" in transcript


async def test_a_conversation_that_is_not_there_is_a_404_page(client: Any) -> None:
    response = await client.get("/dashboard/conversations/987654321")
    assert response.status == 404
    assert "This conversation does not exist" in await response.text()


async def test_pages_with_no_turns_in_the_window_say_so(client: Any) -> None:
    empty = "window=range&from=2020-01-01&to=2020-01-31"
    overview = await (await client.get(f"/dashboard/?{empty}")).text()
    assert overview.count("No data in this window") == 5
    listing = await (await client.get(f"/dashboard/conversations?{empty}")).text()
    assert "No conversation matches these filters." in listing
