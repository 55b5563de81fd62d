"""The layering of bot/: no import cycle, and imports only in the allowed directions.

Every import counts: at the top of a module, under ``if TYPE_CHECKING:`` and inside a function
(those load later, but they tie the modules together just the same). See docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Only these build the parts and connect them: the server's app, the commands, the test harness.
COMPOSITION_ROOTS = ("bot.services", "bot.commands", "bot.web.app", "bot.testing")

# (importer, imported): modules under the first may not import modules under the second.
FORBIDDEN = [
    *(("bot.engine", up) for up in ("bot.web", "bot.channels", "bot.commands", "bot.testing")),
    ("bot.engine", "bot.actions"),  # actions are handed in (ActionRegistry), never imported
    *(("bot.actions", up) for up in ("bot.web", "bot.channels", "bot.commands", "bot.testing")),
    *(
        (low, up)
        for low in ("bot.search", "bot.flows", "bot.store", "bot.nlu", "bot.llm", "bot.access")
        for up in ("bot.engine", "bot.actions", "bot.web", "bot.channels", "bot.commands")
    ),
    *(("bot.coord", up) for up in ("bot.engine", "bot.actions", "bot.web", "bot.channels")),
    *(("bot.cache", up) for up in ("bot.engine", "bot.actions", "bot.web", "bot.channels")),
    *(("bot.search", up) for up in ("bot.llm", "bot.store", "bot.flows")),
    *(("bot.flows", up) for up in ("bot.llm", "bot.search", "bot.store")),
    *(("bot.store", up) for up in ("bot.llm", "bot.search", "bot.flows", "bot.nlu")),
    *(("bot.nlu", up) for up in ("bot.llm", "bot.search", "bot.store", "bot.flows")),
    ("bot.channels", "bot.web"),
]
# What the actions may know of the engine: the contract it declares for them.
ENGINE_CONTRACT = ("bot.engine.actions", "bot.engine.ports")


def modules(package: Path) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import of a module in ``known``, wherever it is."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `from a.b import name`: the module a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def graph(package: Path) -> dict[str, dict[str, int]]:
    known = modules(package)
    return {name: dict(imports(name, path, known)) for name, path in sorted(known.items())}


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(edges: dict[str, dict[str, int]]) -> list[str]:
    found = []
    for importer, targets in edges.items():
        for target, line in targets.items():
            where = f"{importer}:{line} imports {target}"
            if target == "bot.services" and not any(
                under(importer, root) for root in COMPOSITION_ROOTS
            ):
                found.append(f"{where}: only the composition roots may")
            for low, up in FORBIDDEN:
                if under(importer, low) and under(target, up):
                    found.append(f"{where}: {low} may not import {up}")
            if (
                under(importer, "bot.actions")
                and under(target, "bot.engine")
                and target not in ENGINE_CONTRACT
            ):
                found.append(f"{where}: actions see only {', '.join(ENGINE_CONTRACT)}")
    return sorted(found)


def describe(group: list[str], edges: dict[str, dict[str, int]]) -> str:
    links = [f"{a}:{edges[a][b]} -> {b}" for a in group for b in group if b in edges[a]]
    return "cycle: " + "; ".join(links)


def test_bot_has_no_import_cycle() -> None:
    edges = graph(ROOT / "bot")
    assert [describe(g, edges) for g in cycles(edges)] == []


def test_bot_imports_only_downwards() -> None:
    assert violations(graph(ROOT / "bot")) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "bot" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "bot"


@pytest.mark.parametrize(
    "back_edge",
    [
        "from bot.engine.engine import Engine\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.engine import engine\n",
        "def later():\n    from bot.engine.engine import Engine\n    return Engine\n",
        "from ..engine import engine\n",
    ],
    ids=["top", "type-checking", "in-a-function", "relative"],
)
def test_a_cycle_is_found_however_it_is_imported(tmp_path: Path, back_edge: str) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "engine/__init__.py": "",
            "engine/engine.py": "from bot.store.base import Store\nclass Engine: ...\n",
            "store/__init__.py": "",
            "store/base.py": back_edge + "class Store: ...\n",
        },
    )
    edges = graph(package)
    assert cycles(edges) == [["bot.engine.engine", "bot.store.base"]]
    assert "bot.store.base:" in describe(cycles(edges)[0], edges)
    assert violations(edges) == [
        f"bot.store.base:{edges['bot.store.base']['bot.engine.engine']} imports "
        "bot.engine.engine: bot.store may not import bot.engine"
    ]


def test_services_is_imported_only_by_the_composition_roots(tmp_path: Path) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "services.py": "",
            "commands/__init__.py": "",
            "commands/chat.py": "def run():\n    from bot.services import Services\n",
            "engine/__init__.py": "",
            "engine/engine.py": "from bot import services\n",
            "actions/__init__.py": "",
            "actions/search.py": "from bot.engine.ports import TurnPorts\n"
            "from bot.engine.engine import Engine\n",
            "engine/ports.py": "",
        },
    )
    assert violations(graph(package)) == [
        "bot.actions.search:2 imports bot.engine.engine: actions see only "
        "bot.engine.actions, bot.engine.ports",
        "bot.engine.engine:1 imports bot.services: only the composition roots may",
    ]
