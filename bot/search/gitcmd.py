"""Running the git command line from asyncio, with credentials kept off the disk and out of logs.

A token reaches git as an HTTP header through the GIT_CONFIG_* environment variables of the one
process that needs it: not in the URL (which git stores in .git/config), not on the command line
(which `ps` shows), and never in an error message (every output is redacted before it is kept).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import SearchError

_USERINFO = re.compile(r"(\w+://)[^/@\s]+@")


class GitError(SearchError):
    """A git command failed; the message is safe to show to operators (redacted)."""


@dataclass(frozen=True, slots=True)
class GitRemote:
    url: str
    token: str = field(default="", repr=False)
    username: str = "x-access-token"
    ssh_key: str = ""

    @classmethod
    def of(
        cls,
        url: str,
        *,
        base: Path,
        token_env: str = "",
        username: str = "x-access-token",
        ssh_key: str = "",
        environ: Mapping[str, str] | None = None,
    ) -> GitRemote:
        """The remote for a `repos:` entry; GitError when its token is missing or the URL
        carries a password (which git would write into .git/config)."""
        parts = urlsplit(url)
        if parts.password:
            raise GitError(
                f"{redact(url)} carries a password: put the token in an environment variable "
                "and name it in 'token_env'"
            )
        if not parts.scheme and "@" not in url.split("/")[0]:  # a local path
            path = Path(url).expanduser()
            url = str(path if path.is_absolute() else (base / path).resolve())
        token = ""
        if token_env:
            token = (os.environ if environ is None else environ).get(token_env, "")
            if not token:
                raise GitError(f"the environment variable {token_env} (token_env) is not set")
        key = ""
        if ssh_key:
            key_path = Path(ssh_key).expanduser()
            key = str(key_path if key_path.is_absolute() else base / key_path)
        return cls(url, token, username, key)

    def env(self) -> dict[str, str]:
        """The environment of a git process talking to this remote: never prompting."""
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "true",
            "SSH_ASKPASS": "true",
            "LC_ALL": "C",
        }
        if self.token:
            basic = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        if self.ssh_key:
            env["GIT_SSH_COMMAND"] = (
                f"ssh -i {shlex.quote(self.ssh_key)} -o IdentitiesOnly=yes -o BatchMode=yes "
                "-o StrictHostKeyChecking=accept-new"
            )
        return env

    def redact(self, text: str) -> str:
        text = redact(text)
        if self.token:
            text = text.replace(self.token, "***")
            basic = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
            text = text.replace(basic, "***")
        return text


def repository_key(url: str) -> str:
    """``url`` reduced to host and path, so that the https, ssh and web addresses of one
    repository compare equal (``git@host:org/repo.git`` -> ``host/org/repo``)."""
    url = url.strip()
    if "://" not in url and re.match(r"^[^/@\s]+@[^/:\s]+:", url):  # scp-like ssh
        user_host, _, path = url.partition(":")
        url = f"ssh://{user_host}/{path}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path if parts.scheme else url
    path = path.rstrip("/").removesuffix(".git").rstrip("/")
    return f"{host}{path if path.startswith('/') else '/' + path}".lower()


def redact(text: str) -> str:
    """``text`` without the user:password part of the URLs in it."""
    return _USERINFO.sub(r"\1***@", text)


async def git(
    *args: str,
    cwd: Path | None = None,
    remote: GitRemote | None = None,
    seconds: float = 300.0,
) -> str:
    """Run ``git args...`` and return its output; GitError with git's (redacted) message."""
    remote = remote or GitRemote("")
    proc = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=cwd,
        env=remote.env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(seconds):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise GitError(f"git {args[0]} took longer than {seconds:g} s and was stopped") from None
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise GitError(explain(remote.redact(err.decode("utf-8", "replace")), args[0]))
    return out.decode("utf-8", "replace")


_CAUSES = (
    ("No space left on device", "the disk is full"),
    ("Authentication failed", "authentication refused (check the token and its permissions)"),
    ("could not read Username", "authentication refused (no token configured: set token_env)"),
    ("Permission denied (publickey", "authentication refused (check ssh_key)"),
    ("HTTP Basic: Access denied", "authentication refused (check the token)"),
    ("403", "authentication refused (the token may not read this repository)"),
    ("couldn't find remote ref", "the branch or ref does not exist on the remote"),
    ("does not appear to be a git repository", "no git repository at this URL"),
    ("Could not resolve host", "the host name does not resolve"),
    ("Connection refused", "the server refused the connection"),
    ("not found", "no git repository at this URL"),
)


def explain(stderr: str, command: str) -> str:
    """git's message, led by the likely cause in plain words."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    detail = "; ".join(ln for ln in lines if not ln.startswith("hint:"))[-400:]
    for needle, cause in _CAUSES:
        if needle in stderr:
            return f"git {command} failed: {cause} ({detail})"
    return f"git {command} failed: {detail or 'no message'}"
