"""The semantic backend with servers that hang or die (a fake MCP server: fake_mcp.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from bot.search.chunkhound import SemanticBackend
from bot.search.direct import RepoSource
from bot.search.files import FileFilter
from bot.search.service import SearchService

FAKE = Path(__file__).with_name("fake_mcp.py")
AUTH = "def verify_signature(request, token):\n    return token == request.token\n"


def make_service(
    tmp_path: Path,
    modes: dict[str, str],
    *,
    timeout: float = 30.0,
    first_pause: float = 60.0,
    start_wait: float = 10.0,
) -> SearchService:
    """A service over one small repository per mode, each with a fake server in that mode."""
    command = tmp_path / "fake-chunkhound"
    command.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({str(FAKE)!r}, "
                       "run_name='__main__')\n")  # fmt: skip
    command.chmod(0o755)
    sources = []
    for name, mode in modes.items():
        root = tmp_path / name
        root.mkdir()
        (root / "auth.py").write_text(AUTH)
        (root / "MODE").write_text(mode)
        sources.append(RepoSource(name, root, FileFilter(root)))
    backend = SemanticBackend(
        command=str(command),
        roots={s.name: s.root for s in sources},
        env={"PATH": "/usr/bin:/bin"},
        db_dir=tmp_path / "db",
        timeout=timeout,
        start_within=30.0,
        start_wait=start_wait,
        first_pause=first_pause,
    )
    return SearchService(sources=sources, semantic=backend, watch_changes=False)


def starts(tmp_path: Path, repo: str) -> int:
    path = tmp_path / repo / "STARTS"
    return len(path.read_text().splitlines()) if path.is_file() else 0


async def test_a_healthy_server_answers_semantic_queries(tmp_path: Path) -> None:
    service = make_service(tmp_path, {"good": "ok"})
    try:
        response = await service.search("how are signatures checked", kind="semantic")
        assert response.kind == "semantic"
        assert (response.hits[0].path, response.hits[0].line) == ("auth.py", 1)
        assert response.hits[0].text == "def verify_signature(request, token):"
    finally:
        await service.close()


async def test_a_hanging_server_does_not_hold_up_another_repository(tmp_path: Path) -> None:
    service = make_service(tmp_path, {"stuck": "hang", "good": "ok"}, timeout=30.0)
    try:
        await service.search("warm up", repo="good", kind="semantic")
        stuck = asyncio.create_task(service.search("anything", repo="stuck", kind="semantic"))
        await asyncio.sleep(0.2)  # its request is now waiting on the hanging server
        # The other repository answers at once, well inside the stuck request's 30 s.
        good = await asyncio.wait_for(
            service.search("signature token", repo="good", kind="semantic"), 10
        )
        assert good.kind == "semantic" and good.hits[0].path == "auth.py"
        assert not stuck.done()
        stuck.cancel()
    finally:
        await service.close()


async def test_a_server_that_starts_forever_holds_up_nobody(tmp_path: Path) -> None:
    service = make_service(tmp_path, {"slow": "hang-start", "good": "ok"}, start_wait=1.0)
    try:
        starting = asyncio.create_task(
            service.search("signature token", repo="slow", kind="semantic")
        )
        await asyncio.sleep(0.2)
        good = await asyncio.wait_for(service.search("sig", repo="good", kind="semantic"), 10)
        assert good.kind == "semantic"
        # The query on the starting server waited its share (start_wait) and fell back.
        slow = await asyncio.wait_for(starting, 20)
        assert slow.kind == "text" and "semantic search unavailable" in slow.note
        assert slow.hits and slow.hits[0].path == "auth.py"
    finally:
        await service.close()


async def test_a_server_that_times_out_is_paused_not_retried_on_every_query(
    tmp_path: Path,
) -> None:
    service = make_service(tmp_path, {"stuck": "hang"}, timeout=0.5, first_pause=60.0)
    try:
        first = await service.search("signature token", kind="semantic")
        assert first.kind == "text"  # answered by keywords after the timeout
        for _ in range(5):
            again = await service.search("signature token", kind="semantic")
            assert again.kind == "text" and again.hits[0].path == "auth.py"
        assert starts(tmp_path, "stuck") == 1
        assert service.status()["semantic"] is False
    finally:
        await service.close()


async def test_a_dying_server_leaves_its_stderr_in_the_log_and_is_restarted_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(tmp_path, {"broken": "die"}, first_pause=0.3)
    caplog.set_level(logging.WARNING, logger="bot.search.supervisor")
    try:
        first = await service.search("signature token", kind="semantic")
        assert first.kind == "text"
        failed = [r for r in caplog.records if r.getMessage() == "search.chunkhound_failed"]
        assert failed, "the failure is logged"
        assert "boom: the vector index is corrupt" in failed[0].stderr  # type: ignore[attr-defined]
        assert failed[0].repo == "broken"  # type: ignore[attr-defined]
        await service.search("signature token", kind="semantic")
        assert starts(tmp_path, "broken") == 1  # pausing: not started again at once
        await asyncio.sleep(0.5)
        await service.search("signature token", kind="semantic")
        assert starts(tmp_path, "broken") == 2  # after the pause, one more try
    finally:
        await service.close()


async def test_closing_the_service_stops_a_server_that_is_still_starting(tmp_path: Path) -> None:
    service = make_service(tmp_path, {"slow": "hang-start"}, start_wait=0.5)
    await service.start()
    response = await service.search("signature token", kind="semantic")
    assert response.kind == "text"  # still starting: answered by keywords
    started = tmp_path / "slow" / "STARTS"
    for _ in range(200):  # on a busy machine the process may take seconds to come up
        if started.is_file() and started.read_text().strip():
            break
        await asyncio.sleep(0.05)
    await service.close()
    lines = started.read_text().split()
    pid = int(lines[1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # no process left behind
