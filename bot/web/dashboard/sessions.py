"""Signed session cookies and the CSRF tokens tied to them.

The signing key is derived (scrypt) from the configured logins, so every instance sharing the
configuration accepts the same cookies, and changing a password ends every session. A cookie
carries its expiry; logging out revokes its nonce on this instance and deletes the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "codechat_dashboard"
LOGIN_COOKIE = "codechat_dashboard_login"
_SALT = b"codechat dashboard sessions v1"


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    expires: float
    nonce: str


def signing_key(password: str, users: tuple[str, ...]) -> bytes:
    material = "\n".join([password, *sorted(users)]).encode()
    return hashlib.scrypt(material, salt=_SALT, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024)


class Sessions:
    def __init__(
        self,
        *,
        key: bytes,
        lifetime_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._lifetime = lifetime_seconds
        self._clock = clock
        self._revoked: dict[str, float] = {}

    @property
    def lifetime(self) -> float:
        return self._lifetime

    def _sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def issue(self, user: str) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(user, self._clock() + self._lifetime, secrets.token_urlsafe(18))
        payload = f"{session.expires:.0f}:{session.nonce}:{user}".encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return session, f"{body}.{self._sign('session', body)}"

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries; None when it is missing, forged, expired or revoked."""
        if not cookie or len(cookie) > 512:
            return None
        body, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign("session", body).encode()):
            return None
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            expires, nonce, user = payload.split(":", 2)
            session = Session(user, float(expires), nonce)
        except ValueError:
            return None
        if session.expires <= self._clock() or session.nonce in self._revoked:
            return None
        return session

    def revoke(self, session: Session) -> None:
        now = self._clock()
        self._revoked = {n: t for n, t in self._revoked.items() if t > now}
        self._revoked[session.nonce] = session.expires

    def csrf(self, session: Session) -> str:
        return self._sign("csrf", session.nonce)

    def login_csrf(self, login_nonce: str) -> str:
        """The login form's token, bound to the short-lived login cookie (signed double submit)."""
        return self._sign("login", login_nonce)

    def valid(self, expected: str, given: str) -> bool:
        return bool(given) and hmac.compare_digest(expected.encode(), given.encode()[:256])
