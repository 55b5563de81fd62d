"""POST /hooks/git on the real app: signed pushes sync the repository, others change nothing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services
from tests.search.gitrepos import Upstream

SECRET = "hook-secret-123"
FILES = {"shop/orders.py": "def place_order(item):\n    return item\n"}


def github_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": "push"}


def push(upstream: Upstream, branch: str = "main") -> bytes:
    event = {
        "ref": f"refs/heads/{branch}",
        "after": upstream.head(),
        "repository": {"clone_url": upstream.bare.as_uri(), "html_url": "https://x.invalid/a"},
    }
    return json.dumps(event).encode()


async def searchable(services: Services, word: str) -> bool:
    response = await services.search.search(word, repo="shop")
    return any(h.path == "shop/orders.py" for h in response.hits)


async def eventually(services: Services, word: str, seconds: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await searchable(services, word):
        assert loop.time() < deadline, f"{word!r} never became searchable"
        await asyncio.sleep(0.05)


@pytest.fixture
async def shop(start: Any, tmp_path: Path) -> tuple[Any, Services, Upstream]:
    upstream = Upstream(tmp_path / "remote", FILES)
    client, services = await start(
        repos=[{"name": "shop", "git": upstream.bare.as_uri()}],
        server={"git_webhook_secret": SECRET},
        search={"repos_dir": str(tmp_path / "clones")},
    )
    await asyncio.wait_for(services.search.wait_ready(), 60)
    return client, services, upstream


async def test_a_signed_github_push_makes_the_new_code_searchable(shop: Any) -> None:
    client, services, upstream = shop
    upstream.commit({"shop/orders.py": "def cancel_order(item):\n    return item\n"}, "cancel")
    body = push(upstream)
    async with client.post("/hooks/git", data=body, headers=github_headers(body)) as resp:
        assert resp.status == 202
        assert (await resp.json())["syncing"] == ["shop"]
    await eventually(services, "cancel_order")
    async with client.get("/health") as resp:
        repo = (await resp.json())["search"]["repos"]["shop"]
    assert repo["git"]["commit"] == upstream.head()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        github_headers(b"another body"),
        github_headers(b"", secret="wrong"),
        {"X-Gitlab-Token": "wrong"},
        {"X-Gitea-Signature": "00" * 32},
    ],
    ids=["unsigned", "signature-of-another-body", "wrong-secret", "gitlab-wrong", "gitea-forged"],
)
async def test_unsigned_or_forged_pushes_get_401_and_change_nothing(
    shop: Any, headers: dict[str, str]
) -> None:
    client, services, upstream = shop
    before = services.search.status()["repos"]["shop"]["git"]["commit"]
    upstream.commit({"shop/orders.py": "def forged_order(item):\n    return item\n"}, "forged")
    body = push(upstream)
    if headers == github_headers(b"", secret="wrong"):
        headers = github_headers(body, secret="wrong")
    async with client.post("/hooks/git", data=body, headers=headers) as resp:
        assert resp.status == 401
    await asyncio.sleep(0.3)
    assert services.search.status()["repos"]["shop"]["git"]["commit"] == before
    assert not await searchable(services, "forged_order")


async def test_gitlab_and_gitea_signatures_are_accepted(shop: Any) -> None:
    client, services, upstream = shop
    upstream.commit({"shop/orders.py": "def gitlab_order(item):\n    return item\n"}, "gl")
    event = {"ref": "refs/heads/main", "project": {"git_http_url": upstream.bare.as_uri()}}
    body = json.dumps(event).encode()
    async with client.post("/hooks/git", data=body, headers={"X-Gitlab-Token": SECRET}) as resp:
        assert resp.status == 202
    await eventually(services, "gitlab_order")

    upstream.commit({"shop/orders.py": "def gitea_order(item):\n    return item\n"}, "gitea")
    body = push(upstream)
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with client.post("/hooks/git", data=body, headers={"X-Gitea-Signature": digest}) as r:
        assert r.status == 202
    await eventually(services, "gitea_order")


async def test_a_push_to_another_branch_is_ignored(shop: Any) -> None:
    client, services, upstream = shop
    before = services.search.status()["repos"]["shop"]["git"]["commit"]
    upstream.commit({"shop/orders.py": "def other_order(item):\n    return item\n"}, "other")
    body = push(upstream, branch="feature")
    async with client.post("/hooks/git", data=body, headers=github_headers(body)) as resp:
        assert resp.status == 202
        assert await resp.json() == {"syncing": [], "ignored": ["shop"]}
    await asyncio.sleep(0.3)
    assert services.search.status()["repos"]["shop"]["git"]["commit"] == before
