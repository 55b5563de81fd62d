"""Dashboard logins: the shared DASHBOARD_PASSWORD, or named users with scrypt hashes.

`python -m bot.web.dashboard.passwords NAME` asks for a password and prints the
``NAME:scrypt$...`` entry for ``dashboard.users``.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys

SHARED_USER = "operator"
# scrypt's cost: about 50 ms and 16 MB per check, which makes guessing slow offline too.
N, R, P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, maxmem=_MAXMEM)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def _matches(password: str, hashed: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = hashed.split("$")
        expected = base64.b64decode(digest, validate=True)
        given = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(given, expected)


class Logins:
    """Who may log in; every check takes the same scrypt work whether or not the name exists,
    so the time taken does not tell which user names are real."""

    def __init__(self, *, password: str = "", users: tuple[str, ...] = ()) -> None:
        self._hashes = dict(entry.partition(":")[::2] for entry in users)
        if password:
            self._hashes.setdefault(SHARED_USER, hash_password(password))
        self._decoy = hash_password(secrets.token_urlsafe(16))

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def check(self, user: str, password: str) -> bool:
        hashed = self._hashes.get(user)
        ok = _matches(password, hashed or self._decoy)
        return ok and hashed is not None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" in argv[0] or not argv[0].strip():
        print("usage: python -m bot.web.dashboard.passwords NAME (no ':' in it)", file=sys.stderr)
        return 2
    password = getpass.getpass(f"password for {argv[0]}: ")
    if len(password) < 12 or password != getpass.getpass("again: "):
        print("passwords differ, or shorter than 12 characters", file=sys.stderr)
        return 1
    print(f"{argv[0]}:{hash_password(password)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
