"""What a signed-in operator (or a forged link they follow) may type into the dashboard's
addresses: each is a clear answer, never a traceback, a file outside the tables or a full number."""

from __future__ import annotations

import html
from typing import Any

import pytest
from yarl import URL

from bot.web.dashboard.export import to_csv
from tests.web.dashboard.helpers import PASSWORD, login


@pytest.fixture
async def client(start: Any) -> Any:
    client, _ = await start(dashboard={"password": PASSWORD})
    assert (await login(client)).status == 303
    return client


async def raw_get(client: Any, path: str) -> Any:
    """The path exactly as written: no normalising of dots or %2F on the way."""
    url = URL(str(client.make_url("")).rstrip("/") + path, encoded=True)
    return await client.session.get(url, allow_redirects=False)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/export/..%2F..%2Fconfig.yaml.csv",
        "/dashboard/export/%2E%2E%2Fbot.db.csv",
        "/dashboard/export/....%2F%2Fetc%2Fpasswd.csv",
        "/dashboard/export/conversations%00.csv",
        "/dashboard/static/..%2F..%2Fconfig.py",
        "/dashboard/static/..%2Fapp.py",
        "/dashboard/static/%2E%2E%2F__init__.py",
    ],
)
async def test_export_and_static_names_cannot_reach_other_files(client: Any, path: str) -> None:
    response = await raw_get(client, path)
    assert response.status == 404
    body = await response.text()
    assert "dashboard" not in body.lower() or "No table is called" in body
    assert "import" not in body and "sqlite" not in body.lower()


async def test_an_unknown_export_names_the_page_that_lists_them(client: Any) -> None:
    response = await client.get("/dashboard/export/passwords.csv")
    assert response.status == 404
    assert "No table is called 'passwords'" in await response.text()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("channel=" + "x" * 201, "'channel' is longer than 200 characters"),
        ("last_state=" + "s" * 5000, "the address is too long"),
        ("&".join(f"channel={n}" for n in range(600)), "the address is too long"),
        ("outcome=happy", "'outcome' must be one of ok"),
        ("offset=-5", "'offset' must be a whole number"),
        ("offset=99999999999999999999", "'offset' must be a whole number"),
        ("window=forever", "'window' must be 24h, 7d, 30d or range"),
        ("window=range&from=2026-13-45", "'from' must be a date such as"),
        ("window=range&from=2026-11-30&to=2026-11-01", "'to' is before 'from'"),
        ("window=range&from=2000-01-01&to=2026-11-01", "at most 400 days"),
    ],
)
async def test_filters_the_pages_cannot_use_get_a_400_saying_why(
    client: Any, query: str, message: str
) -> None:
    for page in ("/dashboard/", "/dashboard/conversations", "/dashboard/export/days.csv"):
        response = await client.get(f"{page}?{query}")
        assert response.status == 400, page
        body = html.unescape(await response.text())
        assert message in body, (page, body[:300])
        assert "Traceback" not in body


@pytest.mark.parametrize("key", ["abc", "-1", "1" * 40, "..%2F1"])
async def test_a_transcript_key_that_is_not_a_conversation_is_a_404(client: Any, key: str) -> None:
    response = await raw_get(client, f"/dashboard/conversations/{key}")
    assert response.status == 404


async def test_a_huge_login_form_is_refused_before_it_is_read(start: Any) -> None:
    client, _ = await start(dashboard={"password": PASSWORD})
    await client.get("/dashboard/login")
    response = await client.post(
        "/dashboard/login", data={"csrf": "x", "password": "p" * 100_000}, allow_redirects=False
    )
    assert response.status == 413


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    text = to_csv(
        ("query", "count"),
        [('=HYPERLINK("http://evil")', 3), ("+1 2", -4), ("@sum", 1), ("plain", 2)],
    )
    lines = text.splitlines()
    assert lines[1] == '"\'=HYPERLINK(""http://evil"")",3'
    assert lines[2] == "'+1 2,-4"  # numbers stay numbers
    assert lines[3] == "'@sum,1"
    assert lines[4] == "plain,2"
