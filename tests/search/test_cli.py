from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def config(tmp_path: Path) -> str:
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "cart.py").write_text(
        "class Cart:\n"
        "    def checkout(self, card):\n"
        '        """Charge the card for every item."""\n'
        "        return charge(card)\n"
    )
    (repo / "blob.py").write_bytes(b"\x00\x01binary")
    path = tmp_path / "config.yaml"
    path.write_text("repos:\n  - name: shop\n    path: shop\nsearch:\n  index_dir: index\n")
    return str(path)


def test_index_prints_a_summary(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "index"]) == 0
    out = capsys.readouterr().out
    assert "shop: 1 files, 4 lines, 2 symbols in" in out
    assert "skipped: 1 binary" in out


def test_search_prints_locations_and_the_enclosing_symbol(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "search", "where", "is", "checkout", "defined"]) == 0
    out = capsys.readouterr().out
    assert "shop/cart.py:2: def checkout(self, card):  [definition]" in out
    assert "symbol hits" in out


def test_search_json_for_scripts(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config, "search", "/charge\\(/", "--json"]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response["kind"] == "regex"
    assert response["hits"][0] | {"score": 0} == {
        "repo": "shop", "path": "cart.py", "line": 4, "text": "return charge(card)",
        "symbol": "Cart.checkout", "kind": "match", "score": 0, "url": "",
    }  # fmt: skip


def test_bad_queries_exit_with_a_readable_error(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "search", "/foo(/"]) == 2
    assert "not a valid regex" in capsys.readouterr().err
    assert main(["--config", config, "index", "--repo", "nope"]) == 2
    assert "Unknown repository 'nope'; known: shop" in capsys.readouterr().err


def test_search_reads_references_and_qualifiers(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "search", "who", "calls", "charge"]) == 0
    out = capsys.readouterr().out
    assert "shop/cart.py:4: return charge(card)  [in Cart.checkout]" in out
    assert "1 reference hits" in out
    assert main(["--config", config, "search", "Cart kind:class path:*.py"]) == 0
    assert "shop/cart.py:1: class Cart:  [definition]" in capsys.readouterr().out
    assert main(["--config", config, "search", "Cart lang:cobol"]) == 2
    assert "Unknown language 'cobol' in lang:" in capsys.readouterr().err
