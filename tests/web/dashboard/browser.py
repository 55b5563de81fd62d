"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

WebDriver calls block until the page has loaded, and the app under test answers on the test's
own event loop: a test runs its whole browser session in a worker thread
(``await asyncio.to_thread(session, ...)``) so the loop stays free to serve the pages.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard"
PAGE_LOAD_SECONDS = 120


def chromium_paths() -> tuple[str, str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail(
            "headless Chromium is missing: run scripts/install-system-packages.sh "
            "(Debian's chromium and chromium-driver; `make setup` runs it)"
        )
    return binary, driver


def open_chromium() -> webdriver.Chrome:
    binary, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.set_page_load_timeout(PAGE_LOAD_SECONDS)
    return chrome


def errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Console messages at error level since the last call (failed loads, CSP refusals)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """The whole page, not only the window (Chromium's DevTools screenshot)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    width, height = driver.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, 5000), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
