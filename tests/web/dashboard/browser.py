"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, from async tests.

WebDriver calls block, and the app under test answers on the test's own event loop, so every
call goes through a worker thread (``await browser.call(...)``).
"""

from __future__ import annotations

import asyncio
import base64
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard"
_T = TypeVar("_T")


def chromium_paths() -> tuple[str, str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.fail(
            "headless Chromium is missing: run scripts/install-system-packages.sh "
            "(Debian's chromium and chromium-driver; `make setup` runs it)"
        )
    return binary, driver


class Browser:
    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    async def call(self, fn: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.to_thread(fn, *args)

    async def get(self, url: str) -> None:
        await self.call(self.driver.get, url)

    async def errors(self) -> list[dict[str, Any]]:
        """Console messages at error level since the last call (failed loads, CSP refusals)."""
        entries = await self.call(self.driver.get_log, "browser")
        return [e for e in entries if e["level"] == "SEVERE"]

    async def screenshot(self, name: str) -> Path:
        """The whole page, not only the window (Chromium's DevTools screenshot)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        size = await self.call(
            self.driver.execute_script,
            "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight];",
        )
        clip = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 5000), "scale": 1}
        shot = await self.call(
            self.driver.execute_cdp_cmd,
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


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
    return webdriver.Chrome(options=options, service=Service(driver))
