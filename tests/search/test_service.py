from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import PathOutsideRepoError, QueryError
from bot.search.files import FileFilter
from bot.search.index import RepoSnapshot, build, update
from bot.search.service import SearchService
from bot.search.symbols import Outliner


async def test_regex_finds_jinja_get_template(packages: SearchService) -> None:
    response = await packages.search(r"/def get_template\(/", repo="jinja2")
    assert response.kind == "regex"
    assert not response.incomplete
    hit = response.hits[0]
    assert (hit.path, hit.symbol) == ("environment.py", "Environment.get_template")
    assert "def get_template(" in hit.text


async def test_where_is_class_defined_puts_definition_first(packages: SearchService) -> None:
    response = await packages.search("where is FileSystemLoader defined")
    assert response.kind == "symbol"
    first = response.hits[0]
    assert (first.repo, first.path, first.kind) == ("jinja2", "loaders.py", "definition")
    assert first.text.startswith("class FileSystemLoader")
    assert {h.kind for h in response.hits[1:]} == {"reference"}


async def test_a_name_capitalised_by_a_phone_finds_the_same_uses(packages: SearchService) -> None:
    typed = await packages.search("Get_template", repo="jinja2")
    exact = await packages.search("get_template", repo="jinja2")
    assert [(h.path, h.line) for h in typed.hits] == [(h.path, h.line) for h in exact.hits]
    assert typed.total == exact.total > 1


async def test_method_asked_by_qualified_name(packages: SearchService) -> None:
    response = await packages.search("Environment.get_template", kind="symbol")
    assert response.hits[0].symbol == "Environment.get_template"
    assert response.hits[0].path == "environment.py"


async def test_plain_language_question_ranks_the_code_that_does_it(
    packages: SearchService,
) -> None:
    response = await packages.search("how are cookies parsed", repo="aiohttp")
    assert response.kind == "text"
    top = [h.path for h in response.hits[:3]]
    assert any("cookie" in path for path in top), top


async def test_semantic_without_chunkhound_says_it_ranked_by_keywords(
    packages: SearchService,
) -> None:
    response = await packages.search("template loading from files", kind="semantic")
    assert response.kind == "text"
    assert "semantic search unavailable" in response.note
    assert response.hits


async def test_occurs_means_every_word_is_a_whole_word_of_that_repository(
    packages: SearchService,
) -> None:
    assert await packages.occurs("heap", "aiohttp")
    assert await packages.occurs("Heap", "aiohttp")
    assert not await packages.occurs("heap", "jinja2")
    assert not await packages.occurs("bark", "jinja2")  # only "barks": not a whole word
    assert await packages.occurs("Environment template", "jinja2")
    assert not await packages.occurs("Environment zqxj", "jinja2")
    assert not await packages.occurs("?!", "jinja2")
    assert not await packages.occurs("heap", "nope")


async def test_unknown_repo_and_bad_regex_get_readable_errors(tmp_service: SearchService) -> None:
    with pytest.raises(QueryError, match="Unknown repository 'nope'; known: tiny"):
        await tmp_service.search("x", repo="nope")
    with pytest.raises(QueryError, match="not a valid regex"):
        await tmp_service.search("/foo(/")
    with pytest.raises(QueryError, match="empty"):
        await tmp_service.search("   ")


async def test_answers_while_indexing_and_says_results_may_be_missing(
    make_repo: Callable[..., Settings],
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    return 1\n"})
    service = SearchService.from_settings(settings, watch_changes=False)
    before = await service.search("/def alpha/")
    assert before.incomplete and [h.line for h in before.hits] == [1]
    await service.start()
    await asyncio.wait_for(service.wait_ready(), 10)
    after = await service.search("/def alpha/")
    assert not after.incomplete and after.hits[0].symbol == "alpha"
    assert service.status()["state"] == "ready" and service.status()["files"] == 1
    await service.close()


async def test_a_first_search_that_waits_for_the_index_sees_all_of_it(
    make_repo: Callable[..., Settings],
) -> None:
    # The terminal chat's service: its first search, right after start(), is not answered from
    # a half-built index ("still indexing") but from the whole one.
    settings = make_repo({"a.py": "def alpha():\n    return 1\n"})
    service = SearchService.from_settings(
        settings, watch_changes=False, before_first_query=lambda: service.wait_ready()
    )
    await service.start()
    try:
        first = await asyncio.wait_for(service.search("/def alpha/"), 10)
        assert not first.incomplete and first.hits[0].symbol == "alpha"
    finally:
        await service.close()


async def test_what_the_first_query_awaits_may_start_the_indexing(
    make_repo: Callable[..., Settings],
) -> None:
    # The terminal chat starts indexing once its first message is answered, or at its first
    # search if that comes first.
    settings = make_repo({"a.py": "def alpha():\n    return 1\n"})

    async def whole_index() -> None:
        await service.start()
        await service.wait_ready()

    service = SearchService.from_settings(
        settings, watch_changes=False, before_first_query=whole_index
    )
    try:
        first = await asyncio.wait_for(service.search("/def alpha/"), 10)
        assert not first.incomplete and first.hits[0].symbol == "alpha"
    finally:
        await service.close()


async def test_a_first_occurs_that_waits_for_the_index_sees_all_of_it(
    make_repo: Callable[..., Settings],
) -> None:
    settings = make_repo({"a.py": "def alpha():\n    return 1\n"})
    service = SearchService.from_settings(
        settings, watch_changes=False, before_first_query=lambda: service.wait_ready()
    )
    await service.start()
    try:
        assert await asyncio.wait_for(service.occurs("alpha", "tiny"), 10)
    finally:
        await service.close()


async def test_a_changed_file_is_found_without_a_restart(
    make_repo: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_repo({"a.py": "x = 1\n"})
    service = SearchService.from_settings(settings)
    await service.start()
    await asyncio.wait_for(service.wait_ready(), 10)
    (tmp_path / "repo" / "b.py").write_text("def freshly_added():\n    pass\n")
    try:
        for _ in range(100):
            response = await service.search("where is freshly_added defined")
            if response.hits:
                break
            await asyncio.sleep(0.05)
        assert response.hits[0].path == "b.py" and response.hits[0].kind == "definition"
        (tmp_path / "repo" / "b.py").unlink()
        for _ in range(100):
            if not (await service.search("/freshly_added/")).hits:
                break
            await asyncio.sleep(0.05)
        assert not (await service.search("/freshly_added/")).hits
    finally:
        await service.close()


async def test_snippet_refuses_paths_outside_the_repo(
    tmp_service: SearchService, tmp_path: Path
) -> None:
    (tmp_path / "secret.py").write_text("TOKEN = 1\n")
    (tmp_path / "repo" / "link.py").symlink_to(tmp_path / "secret.py")
    for path in ("../secret.py", str(tmp_path / "secret.py"), "link.py", "a/../../secret.py"):
        with pytest.raises(PathOutsideRepoError):
            await tmp_service.snippet("tiny", path, 1)


async def test_snippet_shows_lines_around_the_hit(
    tmp_service: SearchService, tmp_path: Path
) -> None:
    (tmp_path / "repo" / "a.py").write_text("".join(f"line{i}\n" for i in range(1, 21)))
    snippet = await tmp_service.snippet("tiny", "a.py", 10, context=2)
    assert (snippet.start, snippet.highlight) == (8, 10)
    assert snippet.lines == ("line8", "line9", "line10", "line11", "line12")
    with pytest.raises(QueryError, match="has 20 lines"):
        await tmp_service.snippet("tiny", "a.py", 99)
    with pytest.raises(QueryError, match="no file"):
        await tmp_service.snippet("tiny", "missing.py", 1)


def test_a_changed_file_updates_how_often_a_name_is_imported(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "core.py").write_text("def helper():\n    pass\n")
    (repo / "a.py").write_text("from core import helper\n")
    flt = FileFilter(repo)
    snap = build("tiny", flt, outliner=Outliner())
    assert snap.imported == {"helper": 1, "core.helper": 1}  # also by the module's name
    (repo / "b.py").write_text("from core import helper, other\n")
    (repo / "a.py").write_text("import core\n")
    fresh = update(snap, ["a.py", "b.py"], flt, outliner=Outliner())
    assert fresh.imported == {"helper": 1, "other": 1, "core.helper": 1, "core.other": 1}


def test_occurs_reads_at_most_its_byte_budget_whatever_the_load(
    package_snapshots: dict[str, RepoSnapshot],
) -> None:
    """A word found only after more code than the budget is read counts as absent, on a quiet
    or a busy machine alike: the time limit is only a safety net."""
    from bot.search import lookup

    snap = package_snapshots["jinja2"]
    assert lookup.occurs(snap, "Environment template", timeout=60.0)
    assert lookup.occurs(snap, "Environment template", timeout=60.0, max_bytes=10_000_000)
    assert not lookup.occurs(snap, "Environment zqxj", timeout=60.0, max_bytes=10_000_000)
    # The first file whose trigrams could hold "autoescape" does not have the whole word; with
    # a budget of one byte, no other file is read.
    assert lookup.occurs(snap, "autoescape", timeout=60.0)
    assert not lookup.occurs(snap, "autoescape", timeout=60.0, max_bytes=1)
