"""Closing leaves no SQLite worker thread behind: such a thread kept a stopped server alive."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bot.config import Settings, settings_from_mapping
from bot.errors import StoreError
from bot.search.service import SearchService
from bot.services import Services
from bot.store.sqlite import SqliteStore
from tests.conftest import scratch_index_dir

ROOT = Path(__file__).resolve().parents[2]


def _workers() -> int:
    return sum(1 for t in threading.enumerate() if "_connection_worker_thread" in t.name)


async def _until_workers(count: int) -> int:
    for _ in range(100):
        if _workers() <= count:
            break
        await asyncio.sleep(0.02)
    return _workers()


async def test_two_opens_at_once_leave_no_thread_after_close(tmp_path: Path) -> None:
    before = _workers()
    store = SqliteStore(tmp_path / "bot.db")
    await asyncio.gather(store.open(), store.open(), store.open())
    assert _workers() == before + 3  # writer, reader, checkpointer: one set
    await store.close()
    assert await _until_workers(before) == before


async def test_a_close_cancelled_half_way_still_closes_every_connection(tmp_path: Path) -> None:
    before = _workers()
    store = SqliteStore(tmp_path / "bot.db")
    await store.open()
    closing = asyncio.create_task(store.close())
    await asyncio.sleep(0)  # it is on its way: cancel it, as a shutdown timeout would
    closing.cancel()
    await asyncio.gather(closing, return_exceptions=True)
    assert await _until_workers(before) == before


def _settings(tmp_path: Path) -> Settings:
    return settings_from_mapping(
        {
            "storage": {"database_url": f"sqlite:///{tmp_path / 'bot.db'}"},
            "flows": {"dir": str(ROOT / "flows"), "prompts_dir": str(ROOT / "prompts")},
            "search": {"index_dir": scratch_index_dir()},
        },
        base_dir=ROOT,
    )


class _BrokenSearch(SearchService):
    async def close(self) -> None:
        raise RuntimeError("the search index could not be closed")


async def test_the_store_is_closed_even_when_closing_another_part_fails(tmp_path: Path) -> None:
    before = _workers()
    settings = _settings(tmp_path)
    search = _BrokenSearch.from_settings(settings)
    services = await Services.create(settings, search=search, watch_flows=False)
    with pytest.raises(RuntimeError, match="could not be closed"):
        await services.close()
    with pytest.raises(StoreError):
        await services.store.ping()
    assert await _until_workers(before) == before


class _FailingStart(SearchService):
    async def start(self) -> None:
        raise RuntimeError("the search index could not be built")


async def test_a_start_that_fails_after_the_store_opened_closes_it(tmp_path: Path) -> None:
    before = _workers()
    settings = _settings(tmp_path)
    with pytest.raises(RuntimeError, match="could not be built"):
        await Services.create(settings, search=_FailingStart.from_settings(settings))
    assert await _until_workers(before) == before
