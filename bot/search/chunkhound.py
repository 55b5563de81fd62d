"""ChunkHound as the optional semantic backend: one `chunkhound mcp` server per repository.

ChunkHound runs in its own virtualenv (`make chunkhound`) and is spoken to over MCP on stdio;
it is never imported. Regex and symbol queries stay on our own engine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import SearchError
from bot.search.mcp import McpClient, ServerGoneError
from bot.search.scan import MAX_LINE_CHARS
from bot.search.supervisor import Supervisor
from bot.search.types import Hit

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.search.files import RepoSource

log = logging.getLogger(__name__)
LOCAL_VENV_COMMAND = ".venv-chunkhound/bin/chunkhound"


def find_command(command: str, base_dir: Path) -> str | None:
    """The chunkhound executable: on PATH, as a path, or in the project's own virtualenv."""
    found = shutil.which(command)
    if found:
        return found
    local = base_dir / LOCAL_VENV_COMMAND
    return str(local) if local.is_file() and os.access(local, os.X_OK) else None


class SemanticBackend:
    """Semantic search through ChunkHound servers, started and stopped with the service."""

    def __init__(
        self,
        *,
        command: str,
        roots: Mapping[str, Path],
        env: Mapping[str, str],
        db_dir: Path,
        timeout: float = 10.0,
        start_within: float = 60.0,
        start_wait: float = 1.0,
        first_pause: float = 5.0,
    ) -> None:
        self._command = command
        self._roots = dict(roots)
        self._env = dict(env)
        self._db_dir = db_dir
        self._timeout = timeout  # for one search request
        self._start_wait = start_wait  # a query waits this long for a server that is starting
        self._servers = {
            name: Supervisor(
                name, self._factory(name), start_within=start_within, first_pause=first_pause
            )
            for name in self._roots
        }

    @classmethod
    def from_settings(
        cls, settings: Settings, sources: Sequence[RepoSource]
    ) -> SemanticBackend | None:
        cfg = settings.search
        command = find_command(cfg.chunkhound_command, settings.base_dir)
        if not cfg.embedding_base_url or command is None:
            return None
        env = {
            **os.environ,
            "CHUNKHOUND_DATABASE__PROVIDER": "lancedb",
            "CHUNKHOUND_EMBEDDING__PROVIDER": "openai",
            "CHUNKHOUND_EMBEDDING__BASE_URL": cfg.embedding_base_url,
            "CHUNKHOUND_EMBEDDING__MODEL": cfg.embedding_model or "text-embedding-3-small",
            "CHUNKHOUND_EMBEDDING__API_KEY": cfg.embedding_api_key or "unused",
        }
        roots = {s.name: s.root for s in sources}
        db_dir = settings.path(cfg.index_dir) / "chunkhound"
        return cls(command=command, roots=roots, env=env, db_dir=db_dir)

    @property
    def available(self) -> bool:
        """False when every server is pausing after a failure."""
        return any(server.available for server in self._servers.values())

    def argv(self, repo: str) -> list[str]:
        # --no-daemon: the server is our child and stops with us; watchdog: the default watchman
        # backend leaves a watchman process running after the server exits; lancedb: DuckDB
        # would try to download an extension, which fails offline.
        root, db = str(self._roots[repo]), str(self._db_dir / repo / "chunks.lancedb")
        return [
            self._command, "mcp", root, "--no-daemon", "--stdio",
            "--database-provider", "lancedb", "--db", db, "--realtime-backend", "watchdog",
        ]  # fmt: skip

    async def start(self) -> None:
        """Start every repository's server in the background (each then indexes its
        repository); returns at once."""
        for server in self._servers.values():
            server.start()

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self._servers.values()), return_exceptions=True)

    async def search(self, text: str, repos: Sequence[str], limit: int) -> list[Hit]:
        """Hits from every repository's server, best score first. SearchError if none answers."""
        answers = await asyncio.gather(
            *(self._search_one(name, text, limit) for name in repos if name in self._roots),
            return_exceptions=True,
        )
        hits = [hit for answer in answers if isinstance(answer, list) for hit in answer]
        errors = [a for a in answers if isinstance(a, BaseException)]
        if errors and not hits:
            raise SearchError(f"semantic search failed: {errors[0]}")
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]

    async def _search_one(self, repo: str, text: str, limit: int) -> list[Hit]:
        server = self._servers[repo]
        client = await server.client(self._start_wait)
        args = {"type": "semantic", "query": text, "page_size": limit}
        try:
            answer = await client.call_tool("search", args, self._timeout)
        except ServerGoneError as exc:
            server.failed(client, str(exc))
            raise
        server.succeeded()
        if isinstance(answer, str):  # ChunkHound 6 answers in markdown
            results = parse_markdown(answer)
        else:  # older releases: {"results": [...]}
            results = answer.get("results", []) if isinstance(answer, dict) else []
        return [hit for r in results if (hit := self._hit(repo, r)) is not None]

    def _factory(self, repo: str) -> Callable[[], McpClient]:
        def make() -> McpClient:
            (self._db_dir / repo).mkdir(parents=True, exist_ok=True)
            cwd = str(self._roots[repo])
            return McpClient(self.argv(repo), env=self._env, cwd=cwd, name=f"chunkhound:{repo}")

        return make

    def _hit(self, repo: str, result: dict[str, Any]) -> Hit | None:
        root = self._roots[repo]
        raw = Path(str(result.get("file_path", "")))
        try:
            rel = (raw.resolve() if raw.is_absolute() else (root / raw).resolve()).relative_to(root)
        except (ValueError, OSError):
            return None  # never show a file outside the repository
        lines = str(result.get("content", "")).split("\n")
        offset = next((i for i, line in enumerate(lines) if line.strip()), 0)
        text = lines[offset].strip()[:MAX_LINE_CHARS] if lines else ""
        line = int(result.get("start_line") or 1) + offset
        score = float(result.get("score") or result.get("similarity") or 0.0)
        symbol = result.get("symbol") or result.get("name")
        return Hit(repo, rel.as_posix(), line, text, symbol, "match", score)


_HEADING = re.compile(
    r"^## `(?P<path>[^`]+)`(?: L(?P<start>\d+)(?:\u2013L(?P<end>\d+))?)?"
    r"(?: \u2014 (?P<name>.+?))?(?: \((?P<pct>-?\d+)%\))?$",
    re.MULTILINE,
)
_FENCE = re.compile(r"^(`{3,})[^\n]*\n(?P<body>.*?)\n\1$", re.MULTILINE | re.DOTALL)


def parse_markdown(text: str) -> list[dict[str, Any]]:
    """ChunkHound's markdown answer (## `path` L10–L20 — name (92%), then a fenced block)."""
    results: list[dict[str, Any]] = []
    headings = list(_HEADING.finditer(text))
    for i, m in enumerate(headings):
        stop = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        fence = _FENCE.search(text, m.end(), stop)
        results.append(
            {
                "file_path": m["path"],
                "start_line": int(m["start"] or 1),
                "end_line": int(m["end"] or m["start"] or 1),
                "name": m["name"],
                "similarity": int(m["pct"]) / 100 if m["pct"] else 0.0,
                "content": fence["body"] if fence else "",
            }
        )
    return results
