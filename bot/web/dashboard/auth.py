"""Login, logout and the gate in front of every dashboard page.

Forms carry a CSRF token: the login form's is bound to a short-lived cookie set with the form,
the logout form's to the session. Both cookies are HttpOnly, SameSite=Strict and, in
production, Secure. Bad logins are throttled per client address.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

from bot.web.dashboard.passwords import SHARED_USER, Logins
from bot.web.dashboard.render import ROOT, Renderer
from bot.web.dashboard.sessions import COOKIE, LOGIN_COOKIE, Session, Sessions
from bot.web.dashboard.throttle import LoginThrottle

log = logging.getLogger("bot.web.dashboard")

SESSION = web.RequestKey("dashboard_session", Session)
OPEN_PATHS = (f"{ROOT}/login", f"{ROOT}/static/")
MAX_FORM_BYTES = 4096
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Gate:
    def __init__(
        self,
        *,
        logins: Logins,
        sessions: Sessions,
        throttle: LoginThrottle,
        renderer: Renderer,
        secure: bool,
        named_users: bool,
    ) -> None:
        self._logins = logins
        self._sessions = sessions
        self._throttle = throttle
        self._render = renderer
        self._secure = secure
        self._named_users = named_users

    def _cookie(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=ROOT,
            httponly=True,
            secure=self._secure,
            samesite="Strict",
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.path.startswith(OPEN_PATHS):
            return await handler(request)
        session = self._sessions.read(request.cookies.get(COOKIE))
        if session is None:
            if request.method != "GET":
                raise web.HTTPForbidden(text="Your session has ended: log in again.")
            target = request.path_qs if request.path.startswith(ROOT) else ROOT + "/"
            raise web.HTTPSeeOther(f"{ROOT}/login?{_next(target)}")
        request[SESSION] = session
        return await handler(request)

    def context(self, request: web.Request) -> dict[str, object]:
        """What every signed-in page shows: who is in, and the logout form's token."""
        session: Session = request[SESSION]
        return {"user": session.user, "csrf": self._sessions.csrf(session)}

    async def login_page(self, request: web.Request) -> web.Response:
        return self._login_form(request.query.get("next", ""))

    def _login_form(self, next_path: str, *, error: str = "", status: int = 200) -> web.Response:
        nonce = secrets.token_urlsafe(18)
        response = self._render.page(
            "login.html",
            title="Log in",
            status=status,
            error=error,
            next=_safe_next(next_path),
            login_csrf=self._sessions.login_csrf(nonce),
            named_users=self._named_users,
        )
        self._cookie(response, LOGIN_COOKIE, nonce, max_age=3600)
        return response

    async def login(self, request: web.Request) -> web.Response:
        form = await _form(request)
        next_path = form.get("next", "")
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        expected = self._sessions.login_csrf(nonce) if nonce else ""
        if not expected or not self._sessions.valid(expected, form.get("csrf", "")):
            log.warning("dashboard.csrf_refused", extra={"fields": {"form": "login"}})
            return self._login_form(
                next_path, error="This form expired. Please log in again.", status=403
            )
        address = request.remote or "unknown"
        wait = self._throttle.wait_seconds(address)
        if wait:
            log.warning("dashboard.login_throttled", extra={"fields": {"wait_seconds": wait}})
            response = self._login_form(
                next_path,
                error=f"Too many failed logins. Try again in {int(wait / 60) + 1} minute(s).",
                status=429,
            )
            response.headers["Retry-After"] = str(int(wait))
            return response
        user = form.get("user", SHARED_USER)[:200]
        # scrypt holds the CPU for ~50 ms: off the event loop, so other requests keep flowing.
        ok = await asyncio.to_thread(self._logins.check, user, form.get("password", "")[:1024])
        if not ok:
            self._throttle.failed(address)
            log.warning("dashboard.login_failed", extra={"fields": {}})
            return self._login_form(next_path, error="Wrong user name or password.", status=401)
        self._throttle.succeeded(address)
        _session, cookie = self._sessions.issue(user)
        response = web.HTTPSeeOther(_safe_next(next_path))
        self._cookie(response, COOKIE, cookie, max_age=int(self._sessions.lifetime))
        response.del_cookie(LOGIN_COOKIE, path=ROOT)
        log.info("dashboard.login", extra={"fields": {}})
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        form = await _form(request)
        if not self._sessions.valid(self._sessions.csrf(session), form.get("csrf", "")):
            log.warning("dashboard.csrf_refused", extra={"fields": {"form": "logout"}})
            raise web.HTTPForbidden(text="This form expired: reload the page and log out again.")
        self._sessions.revoke(session)
        response = web.HTTPSeeOther(f"{ROOT}/login")
        response.del_cookie(COOKIE, path=ROOT)
        raise response


async def _form(request: web.Request) -> dict[str, str]:
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_FORM_BYTES, actual_size=request.content_length or 0
        )
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _next(path: str) -> str:
    return urlencode({"next": path})


def _safe_next(path: str) -> str:
    """Only a dashboard path: never another site (an open redirect after login)."""
    if path.startswith(ROOT + "/") and not path.startswith("//") and "\\" not in path:
        return path
    return ROOT + "/"
