from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import PathOutsideRepoError, QueryError
from bot.search.service import SearchService


async def test_regex_finds_jinja_get_template(project_settings: Settings) -> None:
    service = SearchService.from_settings(project_settings)
    response = await service.search(r"/def get_template\(/", repo="jinja2")
    assert response.kind == "regex"
    assert any(h.path == "environment.py" and "def get_template(" in h.text for h in response.hits)


async def test_where_is_class_defined_puts_definition_first(project_settings: Settings) -> None:
    service = SearchService.from_settings(project_settings)
    response = await service.search("where is FileSystemLoader defined", repo="jinja2")
    assert response.kind == "symbol"
    first = response.hits[0]
    assert (first.path, first.kind) == ("loaders.py", "definition")
    assert first.text.startswith("class FileSystemLoader")


async def test_unknown_repo_and_bad_regex_get_readable_errors(tmp_service: SearchService) -> None:
    with pytest.raises(QueryError, match="Unknown repository 'nope'; known: tiny"):
        await tmp_service.search("x", repo="nope")
    with pytest.raises(QueryError, match="not a valid regex"):
        await tmp_service.search("/foo(/")


async def test_snippet_refuses_paths_outside_the_repo(
    tmp_service: SearchService, tmp_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "secret.py").write_text("TOKEN = 1\n")
    (tmp_path / "repo" / "link.py").symlink_to(tmp_path / "secret.py")
    for path in ("../secret.py", str(tmp_path / "secret.py"), "link.py"):
        with pytest.raises(PathOutsideRepoError):
            await tmp_service.snippet("tiny", path, 1)


async def test_snippet_shows_lines_around_the_hit(
    tmp_service: SearchService, tmp_path: Path
) -> None:
    (tmp_path / "repo" / "a.py").write_text("".join(f"line{i}\n" for i in range(1, 21)))
    snippet = await tmp_service.snippet("tiny", "a.py", 10, context=2)
    assert (snippet.start, snippet.highlight) == (8, 10)
    assert snippet.lines == ("line8", "line9", "line10", "line11", "line12")
