"""`python -m bot repos list | sync [NAME]` against a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.search.gitrepos import Upstream

FILES = {"shop/cart.py": "class Cart:\n    def checkout(self):\n        pass\n"}


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return Upstream(tmp_path / "remote", FILES)


@pytest.fixture
def config(tmp_path: Path, upstream: Upstream) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        "repos:\n"
        f"  - name: shop\n    git: {upstream.bare.as_uri()}\n    refresh: 10m\n"
        f"  - name: local\n    path: {tmp_path / 'remote'}\n"
        "search:\n  index_dir: index\n  repos_dir: clones\n"
    )
    return str(path)


def test_list_then_sync_then_list(
    config: str, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "repos", "list"]) == 0
    out = capsys.readouterr().out
    assert (
        f"shop: git {upstream.bare.as_uri()} (branch (default), refresh 10m) not cloned yet" in out
    )
    assert "local: path " in out

    assert main(["--config", config, "repos", "sync"]) == 0
    head = upstream.head()
    assert f"shop: at {head[:12]} (cloned); 1 files indexed" in capsys.readouterr().out

    upstream.commit({"shop/tax.py": "def tax():\n    pass\n"}, "tax")
    assert main(["--config", config, "repos", "sync", "shop"]) == 0
    assert (
        f"at {upstream.head()[:12]} (1 files changed); 2 files indexed" in capsys.readouterr().out
    )

    assert main(["--config", config, "repos", "list"]) == 0
    assert f"at {upstream.head()[:12]}" in capsys.readouterr().out


def test_sync_of_an_unknown_or_failing_repository(
    tmp_path: Path, config: str, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", config, "repos", "sync", "local"]) == 2
    assert "'local' is not a git repository; git repositories: shop" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"repos:\n  - name: gone\n    git: {tmp_path / 'nowhere.git'}\n"
        "search:\n  index_dir: index\n  repos_dir: clones\n"
    )
    assert main(["--config", str(bad), "repos", "sync"]) == 1
    assert "gone: failed: git ls-remote failed: no git repository at this URL" in (
        capsys.readouterr().out
    )
