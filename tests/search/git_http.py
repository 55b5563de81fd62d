"""A git host over HTTPS-style smart HTTP on 127.0.0.1: real `git http-backend` behind an aiohttp
server that asks for a token (HTTP Basic), the way GitHub, GitLab and Gitea do."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from aiohttp import web


class GitHttpHost:
    """Serves the bare repositories under ``root`` at /NAME.git; every request must carry
    ``Authorization: Basic base64(USER:token)``. ``seen_auth`` records what was sent."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.token = token
        self.seen_auth: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            _user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return password == self.token

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        self.seen_auth.append(header)
        if not self._authorised(header):
            return web.Response(
                status=401, headers={"WWW-Authenticate": 'Basic realm="git"'}, text="denied"
            )
        body = await request.read()
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": request.path,
            "REQUEST_METHOD": request.method,
            "QUERY_STRING": request.query_string,
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "reader",
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": request.headers.get("Git-Protocol", ""),
        }
        proc = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _err = await proc.communicate(body)
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        return web.Response(status=status, body=payload, headers=headers)
