"""ChunkHound for real, as the semantic backend, calling a local OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.search.chunkhound import find_command, parse_markdown
from bot.search.service import SearchService
from tests.search.fake_embeddings import make_app

ROOT = Path(__file__).resolve().parents[2]
COMMAND = find_command("chunkhound", ROOT)

AUTH = '''def verify_signature(request, token):
    """Check the webhook signature of a request against the token."""
    return hmac.compare_digest(sign(request, token), request.headers["signature"])
'''
COLOURS = '''def mix_colours(red, blue):
    """Blend two paint colours into purple."""
    return (red + blue) / 2
'''


def test_markdown_answers_are_read_into_results() -> None:
    text = (
        "## `auth.py` L1\u2013L3 \u2014 verify_signature (87%)\n\n```python\ndef verify():\n"
        "    pass\n```\n\n---\n\n## `b.py` L7\n\n````\nx = 1\n````\n\n---\nPage 1 of 1"
    )
    first, second = parse_markdown(text)
    assert (first["file_path"], first["start_line"], first["end_line"]) == ("auth.py", 1, 3)
    assert first["name"] == "verify_signature" and first["similarity"] == 0.87
    assert first["content"].startswith("def verify():")
    assert (second["file_path"], second["start_line"], second["content"]) == ("b.py", 7, "x = 1")


@pytest.mark.chunkhound
@pytest.mark.slow
@pytest.mark.skipif(COMMAND is None, reason="chunkhound is not installed (run `make chunkhound`)")
async def test_semantic_queries_go_to_chunkhound(make_repo: Callable[..., Settings]) -> None:
    server = TestServer(make_app(), host="127.0.0.1")
    await server.start_server()
    settings = make_repo(
        {"auth.py": AUTH, "colors.py": COLOURS},
        embedding_base_url=str(server.make_url("/v1")),
        embedding_model="text-embedding-3-small",
        chunkhound_command=str(COMMAND),
    )
    service = SearchService.from_settings(settings)
    await service.start()
    try:
        for _ in range(120):  # ChunkHound indexes and embeds in the background
            response = await service.search("how is the webhook signature checked", kind="semantic")
            if response.kind == "semantic":
                break
            await asyncio.sleep(1)
        assert response.kind == "semantic", response.note
        assert response.hits[0].path == "auth.py"
        assert response.hits[0].text == "def verify_signature(request, token):"
        regex = await service.search("/def mix_colours/")
        assert regex.kind == "regex" and regex.hits[0].path == "colors.py"
    finally:
        await service.close()
        await server.close()
