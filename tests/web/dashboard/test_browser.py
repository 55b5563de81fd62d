"""The dashboard in headless Chromium, over real turns: what an operator sees and clicks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.web.conftest import inbound, post_signed, ready
from tests.web.dashboard.browser import Browser, open_chromium
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


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    driver = open_chromium()
    try:
        yield Browser(driver)
    finally:
        driver.quit()


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


async def drawn(browser: Browser) -> list[dict[str, Any]]:
    """Each chart's size on screen and how many marks (lines, bars, states) it holds."""
    script = """
        return [...document.querySelectorAll('svg.chart')].map(svg => ({
            empty: svg.classList.contains('empty'),
            width: svg.getBoundingClientRect().width,
            height: svg.getBoundingClientRect().height,
            marks: svg.querySelectorAll('path.series, rect.bar, g.state').length,
        }));
    """
    result: list[dict[str, Any]] = await browser.call(browser.driver.execute_script, script)
    return result


async def test_an_operator_logs_in_reads_every_page_filters_and_logs_out(
    start: Any, browser: Browser
) -> None:
    client, _ = await start(dashboard={"password": PASSWORD})
    await conversations(client)
    base = str(client.make_url("")).rstrip("/")
    d = browser.driver

    await browser.get(base + "/dashboard/")
    assert "/dashboard/login" in d.current_url
    await browser.screenshot("login")
    await browser.call(d.find_element(By.ID, "password").send_keys, PASSWORD)
    await browser.call(d.find_element(By.CSS_SELECTOR, "form.login button").click)
    assert d.current_url == base + "/dashboard/"
    await browser.errors()  # the login page's own messages are not the pages' errors

    for name, path in PAGES.items():
        await browser.get(base + path)
        assert await browser.errors() == [], name
        assert d.find_element(By.TAG_NAME, "h1").text
        charts = await drawn(browser)
        assert len(charts) >= CHARTS.get(name, 0), name
        for chart in charts:
            assert chart["width"] > 100 and chart["height"] > 20, (name, chart)
        if name in CHARTS:
            full = [c for c in charts if not c["empty"]]
            assert full, f"{name}: every chart is empty"
            assert all(c["marks"] > 0 for c in full), (name, charts)
        await browser.screenshot(name)

    # The conversations list, then filtered by outcome: fewer rows, each with that outcome.
    await browser.get(base + "/dashboard/conversations")
    everyone = d.find_elements(By.CSS_SELECTOR, "#conversations tr td:first-child a")
    assert len(everyone) == 3
    outcomes = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#conversations .pill")]
    chosen = next(o for o in outcomes if outcomes.count(o) < len(outcomes))
    await browser.call(Select(d.find_element(By.ID, "filter-outcome")).select_by_value, chosen)
    await browser.call(d.find_element(By.ID, "apply").click)
    assert await browser.errors() == []
    kept = d.find_elements(By.CSS_SELECTOR, "#conversations .pill")
    assert 0 < len(kept) < len(everyone)
    assert {e.text for e in kept} == {chosen}
    assert f"outcome={chosen}" in d.current_url
    await browser.screenshot("conversations-filtered")

    # A transcript: the sender and the number written in the message are masked.
    await browser.get(base + "/dashboard/conversations")
    links = d.find_elements(By.CSS_SELECTOR, "#conversations tr td:first-child a")
    target = next(a for a in links if a.text == "…1111")
    await browser.call(target.click)
    assert await browser.errors() == []
    page = d.find_element(By.TAG_NAME, "body").text
    assert "Conversation with …1111" in page
    assert "call me on …0123 about Router" in page
    for secret in ("15550001111", "5550001111", "7700900123", "900123"):
        assert secret not in d.page_source
    assert len(d.find_elements(By.CSS_SELECTOR, "#transcript tr")) > 4
    await browser.screenshot("transcript")

    # Logging out locks every page again.
    await browser.call(d.find_element(By.ID, "logout").click)
    assert "/dashboard/login" in d.current_url
    for path in PAGES.values():
        await browser.get(base + path)
        assert "/dashboard/login" in d.current_url, path
        assert d.find_elements(By.ID, "password")
