"""The dashboard in headless Chromium, over real turns: what an operator sees and clicks."""

from __future__ import annotations

import asyncio
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.web.conftest import inbound, post_signed, ready
from tests.web.dashboard.browser import errors, open_chromium, screenshot
from tests.web.dashboard.helpers import PASSWORD

PAGES = {
    "overview": "/dashboard/",
    "funnel": "/dashboard/funnel",
    "search": "/dashboard/search",
    "conversations": "/dashboard/conversations",
    "export": "/dashboard/export",
}
CHARTS = {"overview": 5, "funnel": 3, "search": 2}  # charts each page draws
NUMBER = "+447700900123"  # written inside a message: shown as …0123


async def conversations(client: Any) -> None:
    """Three people: two search the demo repository (both write a phone number), one sends a
    message longer than the bot reads."""
    for n, sender in enumerate(("whatsapp:+15550001111", "whatsapp:+15550002222")):
        await ready(client, sender, prefix=f"SMb{n}")
        for i, text in enumerate(("make_router", f"call me on {NUMBER} about Router")):
            status, _ = await post_signed(client, "/webhook", inbound(f"SMq{n}{i}", text, sender))
            assert status == 200
    lost = "whatsapp:+15550003333"
    for i, text in enumerate(("hi", "please read all of this " * 200)):
        status, _ = await post_signed(client, "/webhook", inbound(f"SMl{i}", text, lost))
        assert status == 200


def drawn(d: webdriver.Chrome) -> list[dict[str, Any]]:
    """Each chart's size on screen and how many marks (lines, bars, states) it holds."""
    script = """
        return [...document.querySelectorAll('svg.chart')].map(svg => ({
            empty: svg.classList.contains('empty'),
            width: svg.getBoundingClientRect().width,
            height: svg.getBoundingClientRect().height,
            marks: svg.querySelectorAll('path.series, rect.bar, g.state').length,
        }));
    """
    result: list[dict[str, Any]] = d.execute_script(script)
    return result


async def test_an_operator_logs_in_reads_every_page_filters_and_logs_out(start: Any) -> None:
    client, _ = await start(dashboard={"password": PASSWORD})
    await conversations(client)
    base = str(client.make_url("")).rstrip("/")
    d = open_chromium()
    try:
        await asyncio.to_thread(session, d, base)
    finally:
        await asyncio.to_thread(d.quit)


def session(d: webdriver.Chrome, base: str) -> None:
    """What the operator does, in the browser (run in a worker thread)."""
    d.get(base + "/dashboard/")
    assert "/dashboard/login" in d.current_url
    screenshot(d, "login")
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form.login button").click()
    # The click sends the form; the browser follows the redirect when the answer comes.
    WebDriverWait(d, 20).until(lambda driver: "/dashboard/login" not in driver.current_url)
    assert d.current_url == base + "/dashboard/"
    errors(d)  # the login page's own messages are not the pages' errors

    for name, path in PAGES.items():
        d.get(base + path)
        assert errors(d) == [], name
        assert d.find_element(By.TAG_NAME, "h1").text
        charts = drawn(d)
        assert len(charts) >= CHARTS.get(name, 0), name
        for chart in charts:
            assert chart["width"] > 100 and chart["height"] > 20, (name, chart)
        if name in CHARTS:
            full = [c for c in charts if not c["empty"]]
            assert full, f"{name}: every chart is empty"
            assert all(c["marks"] > 0 for c in full), (name, charts)
        screenshot(d, name)

    # The conversations list, then filtered by outcome: fewer rows, each with that outcome.
    d.get(base + "/dashboard/conversations")
    everyone = d.find_elements(By.CSS_SELECTOR, "#conversations tr td:first-child a")
    assert len(everyone) == 3
    outcomes = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#conversations .pill")]
    chosen = next(o for o in outcomes if outcomes.count(o) < len(outcomes))
    Select(d.find_element(By.ID, "filter-outcome")).select_by_value(chosen)
    d.find_element(By.ID, "apply").click()
    WebDriverWait(d, 20).until(lambda driver: f"outcome={chosen}" in driver.current_url)
    assert errors(d) == []
    kept = d.find_elements(By.CSS_SELECTOR, "#conversations .pill")
    assert 0 < len(kept) < len(everyone)
    assert {e.text for e in kept} == {chosen}
    assert f"outcome={chosen}" in d.current_url
    screenshot(d, "conversations-filtered")

    # A transcript: the sender and the number written in the message are masked.
    d.get(base + "/dashboard/conversations")
    links = d.find_elements(By.CSS_SELECTOR, "#conversations tr td:first-child a")
    next(a for a in links if a.text == "…1111").click()
    WebDriverWait(d, 20).until(lambda driver: "/dashboard/conversations/" in driver.current_url)
    assert errors(d) == []
    page = d.find_element(By.TAG_NAME, "body").text
    assert "Conversation with …1111" in page
    assert "call me on …0123 about Router" in page
    for secret in ("15550001111", "5550001111", "7700900123", "900123"):
        assert secret not in d.page_source
    assert len(d.find_elements(By.CSS_SELECTOR, "#transcript tr")) > 4
    screenshot(d, "transcript")

    # Logging out locks every page again.
    d.find_element(By.ID, "logout").click()
    WebDriverWait(d, 20).until(lambda driver: "/dashboard/login" in driver.current_url)
    for path in PAGES.values():
        d.get(base + path)
        assert "/dashboard/login" in d.current_url, path
        assert d.find_elements(By.ID, "password")
