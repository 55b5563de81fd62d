"""Bad input gets a clear answer, fast, and never reaches outside a repository."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.errors import QueryError
from bot.search.service import SearchService

EVIL_TEXT = ("a" * 1500 + "!\n") * 20 + ("ab" * 700 + "\n") * 20


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(.*a){20}", r"(a|aa)+$", r"(\w+\s?)+$"])
async def test_catastrophic_regex_returns_within_a_second(
    make_repo: Callable[..., Settings], pattern: str
) -> None:
    service = SearchService.from_settings(make_repo({"evil.py": EVIL_TEXT}), watch_changes=False)
    started = time.monotonic()
    response = await service.search(f"/{pattern}/")
    assert time.monotonic() - started < 1.0
    assert response.kind == "regex"


async def test_backtracking_only_pattern_is_stopped_with_a_clear_message(
    make_repo: Callable[..., Settings],
) -> None:
    # Lookarounds need the backtracking engine; its time bound turns the blow-up into an answer.
    service = SearchService.from_settings(
        make_repo({"evil.py": EVIL_TEXT}, regex_timeout_seconds=0.3), watch_changes=False
    )
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"took longer than 0\.3 s"):
        await service.search(r"/(a|aa)+(?=c)/")
    assert time.monotonic() - started < 1.0


async def test_the_event_loop_keeps_serving_while_a_backtracking_pattern_runs(
    make_repo: Callable[..., Settings],
) -> None:
    service = SearchService.from_settings(
        make_repo({"evil.py": EVIL_TEXT}, regex_timeout_seconds=1.0), watch_changes=False
    )
    async with LoopWatch() as loop:
        with pytest.raises(QueryError, match="took longer than 1 s"):
            await service.search(r"/(a|aa)+(?=c)/")
    # `regex` lets the GIL go while it matches bytes: other requests go on meanwhile.
    assert loop.longest < 0.5


async def test_lookarounds_and_backreferences_still_work(packages: SearchService) -> None:
    response = await packages.search(r"/def (\w+)\(self\)(?= -> str)/", repo="jinja2")
    assert response.hits and all("-> str" in h.text for h in response.hits)
    quoted = await packages.search(r"""/(["'])autoescape\1/""", repo="jinja2")
    assert quoted.total >= 1 and all("autoescape" in h.text for h in quoted.hits)


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class LoopWatch:
    """The longest time the event loop went without running a 5 ms ticker."""

    def __init__(self) -> None:
        self.gaps: list[float] = [0.0]
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            self.gaps.append(now - last)
            last = now

    async def __aenter__(self) -> LoopWatch:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    @property
    def longest(self) -> float:
        return max(self.gaps)


@pytest.mark.parametrize("indexed", [True, False])
async def test_a_pattern_too_costly_to_compile_is_refused_and_leaves_no_memory_behind(
    make_repo: Callable[..., Settings], indexed: bool
) -> None:
    # 19 characters that the backtracking engine would expand into about 1 GB, kept in its cache.
    service = SearchService.from_settings(make_repo({"a.py": "a = 1\n"}), watch_changes=False)
    if indexed:
        await service.index()
    before = _resident_bytes()
    async with LoopWatch() as loop:
        for _ in range(3):
            with pytest.raises(QueryError, match=r"too costly: compiling it needs more than 64 MB"):
                await service.search("/(?:a{2000}){2000}/")
    assert _resident_bytes() - before < 100 * 2**20
    assert loop.longest < 0.5  # compiled in this process, it held the GIL for seconds
    # A modest lookaround pattern still runs on the same engine.
    assert (await service.search("/a(?= = 1)/")).total == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/[a-/", "not a valid regex"),
        ("/*foo/", "not a valid regex"),
        ("/a{3,1}/", "not a valid regex"),
        ("/" + "a" * 600 + "/", "longer than"),
    ],
)
async def test_invalid_patterns_get_a_readable_error(
    tmp_service: SearchService, query: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        await tmp_service.search(query)


async def test_results_are_bounded_in_count_and_characters(
    make_repo: Callable[..., Settings],
) -> None:
    long_line = "needle = '" + "x" * 1500 + "'\n"
    settings = make_repo({"big.py": long_line * 300}, max_results=20, max_result_chars=2000)
    service = SearchService.from_settings(settings, watch_changes=False)
    response = await service.search("/needle/", limit=10_000)
    assert 1 <= len(response.hits) <= 20
    assert all(len(h.text) <= 200 for h in response.hits)
    assert sum(len(h.text) for h in response.hits) <= 2000
    assert response.truncated and response.total == 300


async def test_search_never_reports_files_behind_a_symlink_out(
    make_repo: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.py").write_text("SECRET_TOKEN = 'x'\n")
    settings = make_repo({"ok.py": "SECRET_TOKEN = None\n"})
    repo = settings.repo("tiny").root(settings.base_dir)  # type: ignore[union-attr]
    (repo / "leak.py").symlink_to(outside / "secret.py")
    (repo / "leakdir").symlink_to(outside, target_is_directory=True)
    service = SearchService.from_settings(settings, watch_changes=False)
    await service.index()
    response = await service.search("/SECRET_TOKEN/")
    assert [h.path for h in response.hits] == ["ok.py"]
    assert service.snapshot("tiny").skipped == {"symlink": 2}  # type: ignore[union-attr]
