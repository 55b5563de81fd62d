from __future__ import annotations

import pytest

from bot.search.symbols import Outliner

SOURCES = {
    ".py": (b"class Env:\n    def get(self):\n        pass\n\ndef top():\n    pass\n",
            [("Env", "class", 1), ("Env.get", "function", 2), ("top", "function", 5)]),
    ".js": (b"class Store {\n  save() {}\n}\nfunction load() {}\nconst fmt = () => 1;\n",
            [("Store", "class", 1), ("Store.save", "function", 2), ("load", "function", 4),
             ("fmt", "function", 5)]),
    ".ts": (b"export interface Opts { a: number }\ntype Id = string;\n"
            b"class Api {\n  get(): void {}\n}\n",
            [("Opts", "interface", 1), ("Id", "type", 2), ("Api", "class", 3),
             ("Api.get", "function", 4)]),
    ".java": (b"public class Shop {\n  public Shop() {}\n  void pay() {}\n}\ninterface Cart {}\n",
              [("Shop", "class", 1), ("Shop.Shop", "function", 2), ("Shop.pay", "function", 3),
               ("Cart", "interface", 5)]),
    ".c": (b"struct point { int x; };\nstatic int *area(int a) {\n  return 0;\n}\n",
           [("point", "struct", 1), ("area", "function", 2)]),
    ".cpp": (b"namespace geo {\nclass Shape {\n  void draw() {}\n};\n}\nint main() { return 0; }\n",
             [("geo", "namespace", 1), ("geo.Shape", "class", 2), ("geo.Shape.draw", "function", 3),
              ("main", "function", 6)]),
    ".md": (b"# Title\n\ntext\n\n## Install\n",
            [("Title", "heading", 1), ("Install", "heading", 5)]),
}  # fmt: skip


@pytest.mark.parametrize("suffix", sorted(SOURCES))
def test_definitions_are_found_with_their_enclosing_names(suffix: str) -> None:
    data, expected = SOURCES[suffix]
    found = [(s.qualname, s.kind, s.line) for s in Outliner().outline(suffix, data)]
    assert found == expected


def test_a_language_without_its_grammar_falls_back_to_patterns() -> None:
    outliner = Outliner()
    outliner._tools["python"] = None  # as when the grammar wheel is missing
    found = Outliner.outline(outliner, ".py", b"class A:\n    def run(self):\n        pass\n")
    assert [(s.name, s.kind, s.line) for s in found] == [("A", "class", 1), ("run", "function", 2)]


def test_syntax_errors_still_yield_the_definitions_around_them() -> None:
    data = b"def good():\n    pass\n\ndef broken(:\n    pass\n\nclass Later:\n    pass\n"
    names = [s.name for s in Outliner().outline(".py", data)]
    assert "good" in names and "Later" in names
