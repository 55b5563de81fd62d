"""A local stand-in for Twilio's REST API (Messages and Content resources), speaking its wire
format. A message sent with a ContentSid must supply every ``{{n}}`` of that template in its
ContentVariables, and the filled template must keep the content type's limits.

The real `twilio` client is pointed at it through TWILIO_API_BASE_URL / twilio.api_base_url.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"


@dataclass
class SentMessage:
    to: str
    from_: str
    body: str
    status_callback: str
    sid: str
    content_sid: str = ""
    content_variables: str = ""
    content: dict[str, Any] = field(default_factory=dict)  # the template filled, as shown


@dataclass
class FakeTwilio:
    """Records every created message; `plan` scripts the next answers (status codes or delays)."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    sent: list[SentMessage] = field(default_factory=list)
    requests: int = 0
    plan: list[int | float] = field(default_factory=list)  # int: HTTP error status; float: delay
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)  # Content API, by SID
    content_requests: int = 0
    hang: bool = False  # Messages requests are never answered nor created (Twilio unreachable)
    refuse_content: bool = False  # the Content API answers 400 (an account without it, say)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create)
        app.router.add_post("/v1/Content", self._create_content)
        app.router.add_get("/v1/Content", self._list_content)
        return app

    def _basic_ok(self, request: web.Request) -> bool:
        return self._authorized(request, self.account_sid)

    async def _create_content(self, request: web.Request) -> web.Response:
        """POST /v1/Content: a JSON body {friendly_name, language, variables, types}."""
        self.content_requests += 1
        if not self._basic_ok(request):
            return _error(401, 20003, "Authenticate")
        data = await request.json()
        types = data.get("types") or {}
        problem = _content_problem(types)
        if self.refuse_content:
            problem = "Content API not enabled for this account"
        if problem or not data.get("friendly_name") or not data.get("language"):
            return _error(400, 20001, problem or "friendly_name and language are required")
        sid = f"HX{next(self._ids):032x}"
        self.contents[sid] = {**data, "sid": sid, "account_sid": self.account_sid}
        return web.json_response(self.contents[sid], status=201)

    async def _list_content(self, request: web.Request) -> web.Response:
        self.content_requests += 1
        if not self._basic_ok(request):
            return _error(401, 20003, "Authenticate")
        meta = {"page": 0, "page_size": 500, "key": "contents", "next_page_url": None}
        return web.json_response({"contents": list(self.contents.values()), "meta": meta})

    def _authorized(self, request: web.Request, account: str) -> bool:
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        header = request.headers.get("Authorization", "")
        return account == self.account_sid and header == "Basic " + base64.b64encode(
            expected
        ).decode("ascii")

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.hang:
            await asyncio.Event().wait()
        step = self.plan.pop(0) if self.plan else None
        if isinstance(step, float):
            await asyncio.sleep(step)
        elif isinstance(step, int):
            return _error(step, 20429 if step == 429 else 20500, "Scripted failure")
        if not self._authorized(request, request.match_info["account"]):
            return _error(401, 20003, "Authenticate")
        form = await request.post()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        content_sid = str(form.get("ContentSid", ""))
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not body and not content_sid:
            return _error(400, 21602, "Message body is required.")
        if content_sid and content_sid not in self.contents:
            return _error(404, 20404, "The requested resource was not found")
        content: dict[str, Any] = {}
        if content_sid:
            template = self.contents[content_sid]
            try:
                variables = json.loads(str(form.get("ContentVariables") or "{}"))
            except ValueError:
                return _error(400, 21656, "The ContentVariables Parameter is invalid.")
            wanted = set(_VARIABLE.findall(json.dumps(template["types"])))
            if not isinstance(variables, dict) or not wanted <= set(variables):
                return _error(400, 21656, "The ContentVariables Parameter is invalid.")
            content = fill(template["types"], variables)
            if problem := _content_problem(content):
                return _error(400, 21656, problem)
        if len(body) > 1600:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        sid = f"SM{next(self._ids):032x}"
        message = SentMessage(
            to,
            str(form.get("From", "")),
            body,
            str(form.get("StatusCallback", "")),
            sid,
            content_sid,
            str(form.get("ContentVariables", "")),
            content,
        )
        self.sent.append(message)
        return web.json_response(_resource(self.account_sid, message), status=201)


_VARIABLE = re.compile(r"\{\{(\d+)\}\}")


def fill(types: Any, variables: dict[str, str]) -> Any:
    """A template's types with each ``{{n}}`` replaced by its value, as the recipient sees it."""
    if isinstance(types, dict):
        return {key: fill(value, variables) for key, value in types.items()}
    if isinstance(types, list):
        return [fill(value, variables) for value in types]
    if isinstance(types, str):
        return _VARIABLE.sub(lambda m: str(variables.get(m.group(1), m.group(0))), types)
    return types


def _resource(account_sid: str, m: SentMessage) -> dict[str, Any]:
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": m.body,
        "date_created": "Wed, 25 Nov 2026 20:00:00 +0000",
        "date_sent": None,
        "date_updated": "Wed, 25 Nov 2026 20:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": m.from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": m.sid,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{m.sid}/Media.json"
        },
        "to": m.to,
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{m.sid}.json",
    }


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def _content_problem(types: dict[str, Any]) -> str | None:
    """The limits of the two interactive types WhatsApp takes in a session."""
    if "twilio/quick-reply" in types:
        actions = types["twilio/quick-reply"].get("actions") or []
        if not 0 < len(actions) <= 3 or any(len(a.get("title", "")) > 20 for a in actions):
            return "twilio/quick-reply takes 1 to 3 actions with titles of 20 characters"
        return None
    if "twilio/list-picker" in types:
        picker = types["twilio/list-picker"]
        items = picker.get("items") or []
        if not 0 < len(items) <= 10 or any(len(i.get("item", "")) > 24 for i in items):
            return "twilio/list-picker takes 1 to 10 items of 24 characters"
        if not picker.get("button") or len(picker["button"]) > 20:
            return "twilio/list-picker needs a button of 20 characters"
        return None
    return f"unsupported content types {sorted(types)}"
