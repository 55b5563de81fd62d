"""POST /hooks/git: a git host says a branch moved; the repositories cloned from it sync at once.

Accepted only when signed with GIT_WEBHOOK_SECRET the way the host signs: GitHub (and Gitea,
Forgejo) an HMAC-SHA256 of the body in X-Hub-Signature-256 ("sha256=HEX"), Gitea and Forgejo
also in X-Gitea-Signature / X-Forgejo-Signature (HEX); GitLab sends the secret itself in
X-Gitlab-Token. Anything else is 401 and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.search.gitsync import GitSync

log = logging.getLogger("bot.web")

MAX_HOOK_BYTES = 2_000_000  # push events list their commits; GitHub caps payloads at 25 MB


def signed(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """True when ``headers`` carry a valid signature of ``body`` (or GitLab's token)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    github = headers.get("X-Hub-Signature-256", "")
    if github:
        return hmac.compare_digest(github.strip().lower(), f"sha256={digest}")
    for name in ("X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"):
        value = headers.get(name, "")
        if value:
            return hmac.compare_digest(value.strip().lower(), digest)
    token = headers.get("X-Gitlab-Token", "")
    return bool(token) and hmac.compare_digest(token.encode(), secret.encode())


def push_urls(payload: Mapping[str, Any]) -> list[str]:
    """Every address of the pushed repository in a GitHub, GitLab or Gitea push event."""
    urls: list[str] = []
    for section in ("repository", "project"):
        part = payload.get(section)
        if not isinstance(part, Mapping):
            continue
        for key in (
            "clone_url",
            "ssh_url",
            "html_url",
            "git_url",
            "url",
            "git_http_url",
            "git_ssh_url",
            "web_url",
            "homepage",
        ):
            value = part.get(key)
            if isinstance(value, str) and value:
                urls.append(value)
    return urls


class GitHookHandler:
    def __init__(self, *, secret: str, sync: GitSync | None) -> None:
        self._secret = secret
        self._sync = sync

    async def __call__(self, request: web.Request) -> web.Response:
        if not self._secret:
            return web.json_response(
                {"error": "GIT_WEBHOOK_SECRET is not set: push webhooks are turned off"},
                status=503,
            )
        # Read past the app's small body limit (sized for chat messages), up to MAX_HOOK_BYTES.
        body = await request.content.read(MAX_HOOK_BYTES + 1)
        if len(body) > MAX_HOOK_BYTES:
            return web.json_response({"error": "payload too large"}, status=413)
        if not signed(request.headers, body, self._secret):
            log.warning("git.hook_refused", extra={"fields": {"reason": "unsigned or forged"}})
            return web.json_response({"error": "unsigned or forged"}, status=401)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "the body is not a JSON object"}, status=400)
        ref = payload.get("ref")
        if not isinstance(ref, str) or self._sync is None:  # a ping, or nothing to sync
            return web.json_response({"syncing": [], "ignored": []})
        matched = self._sync.matching(push_urls(payload))
        syncing = [name for name in matched if self._sync.follows(name, ref)]
        for name in syncing:
            self._sync.trigger(name)
        ignored = [name for name in matched if name not in syncing]
        log.info("git.hook", extra={"fields": {"ref": ref, "syncing": syncing}})
        return web.json_response({"syncing": syncing, "ignored": ignored}, status=202)
