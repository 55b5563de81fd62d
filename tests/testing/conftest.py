from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config import Settings, settings_from_mapping
from bot.testing.runner import ConversationRunner

# A small bot: a question with a timeout, a nudge, a search over a tiny repository.
FLOWS = {
    "intents.yaml": """
        entry: desk.welcome
        intents:
          hi: [hi, hello]
          find: [find, search]
          help: [help]
          restart: [start over]
        globals:
          help: {builtin: help}
          restart: {to: desk.welcome, reset: true, say: "Starting over."}
        """,
    "desk.yaml": """
        flow: desk
        states:
          welcome:
            say: "Hello! Send *find* to search."
            on:
              - {intent: find, to: ask}
              - {otherwise: welcome}
          ask:
            say: "What should I find?"
            help: "Type a word that is in the code."
            timeout: {after: 10m, to: nudge}
            on:
              - {otherwise: run}
          nudge:
            say: "Still there? Send *find* when you are ready."
            on:
              - {intent: find, to: ask}
              - {otherwise: welcome}
          run:
            do: [{search: {query: "{{ text }}"}}]
            then:
              - {when: results, to: found}
              - {to: ask}
          found:
            say: "{{ total }} found, first: {{ results[0].path }}:{{ results[0].line }}"
            on:
              - {intent: find, to: ask}
              - {otherwise: run}
        """,
}


def write_flows(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Settings:
    write_flows(tmp_path / "flows", FLOWS)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shapes.py").write_text(
        "class Circle:\n    def area(self):\n        return 3.14\n", encoding="utf-8"
    )
    return settings_from_mapping(
        {
            "flows": {"dir": "flows", "reload": False},
            "repos": [{"name": "tiny", "path": "repo"}],
            "search": {"index_dir": "index"},
            "storage": {"database_url": "memory://"},
        },
        base_dir=tmp_path,
    )


@pytest.fixture
async def runner(tiny: Settings) -> ConversationRunner:
    async with await ConversationRunner.open(tiny) as opened:
        yield opened  # type: ignore[misc]


def write_cases(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
