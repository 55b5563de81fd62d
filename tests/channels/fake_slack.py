"""A local stand-in for Slack's Web API (chat.postMessage), speaking its wire format, and
requests signed exactly as Slack signs them.

The real slack-sdk client is pointed at it through SLACK_API_BASE_URL / slack.api_base_url.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_TOKEN = "xoxb-test-0123456789"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"


def signature_headers(
    body: bytes | str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: float | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of ``v0:<timestamp>:<body>`` with the signing secret."""
    raw = body.encode() if isinstance(body, str) else body
    stamp = str(int(time.time() if timestamp is None else timestamp))
    base = b"v0:" + stamp.encode() + b":" + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


@dataclass
class Posted:
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    ts: str


@dataclass
class FakeSlack:
    """Records every posted message; `plan` scripts the next answers: an int is an HTTP status
    (429 comes with Retry-After: 1), a str is a Slack error (`channel_not_found`)."""

    token: str = BOT_TOKEN
    posted: list[Posted] = field(default_factory=list)
    requests: int = 0
    plan: list[int | str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/chat.postMessage", self._post_message)
        return app

    async def _post_message(self, request: web.Request) -> web.Response:
        self.requests += 1
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, int):
            headers = {"Retry-After": "1"} if step == 429 else {}
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=step, headers=headers
            )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error("invalid_auth")
        if isinstance(step, str):
            return _error(step)
        data = await request.json()
        channel, text, blocks = data.get("channel"), data.get("text"), data.get("blocks")
        if not channel:
            return _error("channel_not_found")
        if not text and not blocks:
            return _error("no_text")
        problem = _block_problem(blocks or [])
        if problem:
            return web.json_response(
                {"ok": False, "error": "invalid_blocks", "errors": [problem]}, status=200
            )
        ts = f"{1700000000 + next(self._ids)}.000100"
        thread = data.get("thread_ts")
        self.posted.append(Posted(channel, text or "", blocks or [], thread, ts))
        message = {"type": "message", "text": text, "user": BOT_USER, "ts": ts}
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": message})


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=200)


def _block_problem(blocks: list[dict[str, Any]]) -> str | None:
    """Block Kit's limits that a renderer could break (Slack refuses the whole message)."""
    if len(blocks) > 50:
        return "must provide at most 50 blocks"
    for block in blocks:
        if block.get("type") == "section":
            text = block.get("text", {})
            if text.get("type") != "mrkdwn" or not 0 < len(text.get("text", "")) <= 3000:
                return "section text must be mrkdwn of 1 to 3000 characters"
        elif block.get("type") == "actions":
            elements = block.get("elements", [])
            if not 0 < len(elements) <= 25:
                return "actions must hold 1 to 25 elements"
            for button in elements:
                label = button.get("text", {}).get("text", "")
                if button.get("type") != "button" or not 0 < len(label) <= 75:
                    return "a button needs a plain_text label of 1 to 75 characters"
                if len(button.get("value", "")) > 2000:
                    return "a button's value is at most 2000 characters"
        else:
            return f"unknown block type {block.get('type')!r}"
    return None


def event_body(
    event: dict[str, Any], *, event_id: str, team: str = TEAM, bot_user: str = BOT_USER
) -> str:
    """An Events API event_callback envelope, as Slack posts it."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "api_app_id": "A0APP",
            "event": {"team": team, "event_ts": event.get("ts", "1.0"), **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": team,
                    "user_id": bot_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )
