"""Logging in to the dashboard the way a browser does: fetch the form, post it back."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

PASSWORD = "correct horse battery"


def form_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def login(
    client: TestClient[Any, Any], password: str = PASSWORD, *, user: str = "operator"
) -> Any:
    page = await client.get("/dashboard/login")
    token = form_token(await page.text())
    return await client.post(
        "/dashboard/login",
        data={"csrf": token, "user": user, "password": password, "next": "/dashboard/"},
        allow_redirects=False,
    )
