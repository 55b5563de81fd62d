"""`git:` repositories against real git: a bare repository on disk as the remote."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, settings_from_mapping
from bot.search.gitcmd import GitError, explain
from bot.search.gitsync import GitSync
from bot.search.service import SearchService
from tests.search.git_http import GitHttpHost
from tests.search.gitrepos import Upstream, run
from tests.search.ssh_host import ssh_host

FILES = {
    "app/orders.py": "def place_order(item):\n    return charge(item)\n",
    "app/billing.py": "def charge(item):\n    return item.price\n",
    "README.md": "Orders and billing.\n",
}


def git_settings(tmp_path: Path, git: str, **entry: Any) -> Settings:
    search = entry.pop("search", {})
    return settings_from_mapping(
        {
            "repos": [{"name": "shop", "git": git, **entry}],
            "search": {"index_dir": "index", "repos_dir": "clones", **search},
        },
        base_dir=tmp_path,
    )


def build(settings: Settings) -> tuple[SearchService, GitSync]:
    search = SearchService.from_settings(settings, watch_changes=False)
    return search, GitSync.from_settings(settings, search)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every log record with its fields, as the JSON log lines would carry them."""
    return "\n".join(str(r.__dict__) for r in caplog.records)


async def paths_for(search: SearchService, query: str) -> set[str]:
    return {h.path for h in (await search.search(query, repo="shop")).hits}


async def test_a_local_repository_is_cloned_indexed_and_followed(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    fetched = await sync.sync("shop")
    assert fetched.new == upstream.head()
    assert "app/billing.py" in await paths_for(search, "charge")

    second = upstream.commit(
        {"app/refunds.py": "def refund(order):\n    return order.total\n"},
        "refunds",
        deleted=("app/billing.py",),
    )
    fetched = await sync.sync("shop")
    assert fetched.new == second
    assert set(fetched.changed) == {"app/refunds.py", "app/billing.py"}
    assert await paths_for(search, "refund") == {"app/refunds.py"}
    assert "app/billing.py" not in await paths_for(search, "charge")
    health = search.status()["repos"]
    assert isinstance(health, dict)
    assert health["shop"]["git"]["commit"] == second
    assert health["shop"]["git"]["branch"] == "main"
    assert health["shop"]["git"]["last_error"] == ""
    assert health["shop"]["git"]["fetched_at"] is not None


async def test_a_file_url_and_a_named_branch(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES, branch="develop")
    search, sync = build(git_settings(tmp_path, upstream.bare.as_uri(), branch="develop"))
    await sync.sync("shop")
    assert "app/orders.py" in await paths_for(search, "place_order")


async def test_a_pinned_ref_stays_where_it_is(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    first = upstream.head()
    upstream.commit({"app/orders.py": "def place_order_v2(item):\n    pass\n"}, "v2")
    search, sync = build(git_settings(tmp_path, upstream.bare.as_uri(), ref=first))
    fetched = await sync.sync("shop")
    assert fetched.new == first
    assert await paths_for(search, "place_order_v2") == set()


async def test_searching_before_the_first_clone_says_the_code_is_coming(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    await search.start()
    try:
        response = await search.search("charge", repo="shop")
        assert response.incomplete
        assert "still getting the code of shop from git" in response.note
        assert search.status()["state"] == "indexing"
        await sync.start()
        await asyncio.wait_for(search.wait_ready(), 60)
        assert "app/billing.py" in await paths_for(search, "charge")
    finally:
        await sync.close()
        await search.close()


async def test_a_bad_url_is_a_clear_error_in_health_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    search, sync = build(git_settings(tmp_path, str(tmp_path / "nowhere.git")))
    with caplog.at_level(logging.ERROR), pytest.raises(GitError):
        await sync.sync("shop")
    error = search.status()["repos"]["shop"]["git"]["last_error"]  # type: ignore[index]
    assert "no git repository at this URL" in error
    assert "no git repository at this URL" in logged(caplog)
    response = await search.search("charge", repo="shop")
    assert "could not get the code of shop" in response.note


async def test_a_force_push_is_followed(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    await sync.sync("shop")
    run("reset", "-q", "--hard", "HEAD", cwd=upstream.work)  # rewrite history from scratch
    run("checkout", "-q", "--orphan", "rewritten", cwd=upstream.work)
    rewritten = upstream.commit({"app/orders.py": "def ship_order(item):\n    pass\n"}, "new")
    fetched = await sync.sync("shop")
    assert fetched.new == rewritten
    assert await paths_for(search, "ship_order") == {"app/orders.py"}
    assert await paths_for(search, "place_order") == set()


async def test_a_deleted_branch_keeps_the_last_good_index(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES, branch="develop")
    search, sync = build(git_settings(tmp_path, str(upstream.bare), branch="develop"))
    good = (await sync.sync("shop")).new
    run("update-ref", "-d", "refs/heads/develop", cwd=upstream.bare)
    with pytest.raises(GitError, match="branch or ref does not exist"):
        await sync.sync("shop")
    git = search.status()["repos"]["shop"]["git"]  # type: ignore[index]
    assert git["commit"] == good
    assert "does not exist" in git["last_error"]
    assert "app/billing.py" in await paths_for(search, "charge")
    run("update-ref", "refs/heads/develop", good, cwd=upstream.bare)  # the branch is back
    await sync.sync("shop")
    assert search.status()["repos"]["shop"]["git"]["last_error"] == ""  # type: ignore[index]


async def test_a_commit_over_the_size_limit_is_not_checked_out(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    settings = git_settings(tmp_path, str(upstream.bare), search={"git_max_size_mb": 0.01})
    search, sync = build(settings)
    good = (await sync.sync("shop")).new
    upstream.commit({"app/huge.py": "x = 1\n" * 5000}, "huge")
    with pytest.raises(GitError, match="over the limit"):
        await sync.sync("shop")
    assert search.status()["repos"]["shop"]["git"]["commit"] == good  # type: ignore[index]
    assert not (tmp_path / "clones" / "shop" / "app" / "huge.py").exists()
    assert "app/billing.py" in await paths_for(search, "charge")


async def test_a_missing_token_is_named_and_never_cloned(tmp_path: Path) -> None:
    settings = git_settings(tmp_path, "https://git.invalid/org/shop.git", token_env="SHOP_TOKEN_X")
    search, sync = build(settings)
    assert sync.repos == ()
    error = search.status()["repos"]["shop"]["error"]  # type: ignore[index]
    assert "SHOP_TOKEN_X" in str(error)


def test_a_password_in_the_url_is_refused(tmp_path: Path) -> None:
    settings = git_settings(tmp_path, "https://bob:s3cret@git.invalid/org/shop.git")
    search, _sync = build(settings)
    error = str(search.status()["repos"]["shop"]["error"])  # type: ignore[index]
    assert "token_env" in error
    assert "s3cret" not in error


async def test_https_with_a_token_from_the_environment_never_on_disk(
    tmp_path: Path,
    aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream = Upstream(tmp_path / "host", FILES)
    host = GitHttpHost(tmp_path / "host", token="tok-RIGHT-5f2c")
    server = await aiohttp_server(host.app())
    url = str(server.make_url("/upstream.git"))
    monkeypatch.setenv("SHOP_TOKEN", "tok-RIGHT-5f2c")
    search, sync = build(git_settings(tmp_path, url, token_env="SHOP_TOKEN"))
    with caplog.at_level(logging.DEBUG):
        await sync.sync("shop")
        upstream.commit({"app/tax.py": "def tax(order):\n    pass\n"}, "tax")
        await sync.sync("shop")
    assert await paths_for(search, "tax") == {"app/tax.py"}
    assert any(a.startswith("Basic ") for a in host.seen_auth)
    clone = tmp_path / "clones" / "shop"
    on_disk = b"".join(p.read_bytes() for p in clone.rglob("*") if p.is_file())
    assert b"tok-RIGHT-5f2c" not in on_disk
    assert "tok-RIGHT-5f2c" not in logged(caplog)


async def test_a_refused_token_is_a_clear_error_and_the_index_keeps_serving(
    tmp_path: Path,
    aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream = Upstream(tmp_path / "host", FILES)
    host = GitHttpHost(tmp_path / "host", token="tok-RIGHT-5f2c")
    server = await aiohttp_server(host.app())
    url = str(server.make_url("/upstream.git"))
    monkeypatch.setenv("SHOP_TOKEN", "tok-RIGHT-5f2c")
    search, sync = build(git_settings(tmp_path, url, token_env="SHOP_TOKEN"))
    good = (await sync.sync("shop")).new
    host.token = "rotated-on-the-host"  # the configured token is now refused
    upstream.commit({"app/tax.py": "def tax(order):\n    pass\n"}, "tax")
    with caplog.at_level(logging.ERROR), pytest.raises(GitError, match="authentication refused"):
        await sync.sync("shop")
    git = search.status()["repos"]["shop"]["git"]  # type: ignore[index]
    assert "authentication refused" in git["last_error"]
    assert "tok-RIGHT-5f2c" not in git["last_error"]
    assert "authentication refused" in logged(caplog)
    assert "tok-RIGHT-5f2c" not in logged(caplog)
    assert git["commit"] == good
    assert "app/billing.py" in await paths_for(search, "charge")


async def test_a_full_disk_stops_the_fetch_and_the_index_keeps_serving(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    good = (await sync.sync("shop")).new
    upstream.commit({"app/tax.py": "def tax(order):\n    pass\n"}, "tax")
    # Simulated: the same repository, asking for more free space than any disk here has.
    full = git_settings(tmp_path, str(upstream.bare), search={"git_min_free_mb": 1e12})
    with pytest.raises(GitError, match="the disk is full"):
        await GitSync.from_settings(full, search).sync("shop")
    git = search.status()["repos"]["shop"]["git"]  # type: ignore[index]
    assert "the disk is full" in git["last_error"]
    assert search.commit("shop") == good
    assert not (tmp_path / "clones" / "shop" / "app" / "tax.py").exists()
    assert "app/billing.py" in await paths_for(search, "charge")


def test_git_messages_name_the_cause() -> None:
    message = explain("error: unable to write file: No space left on device\n", "fetch")
    assert message.startswith("git fetch failed: the disk is full (")


async def test_a_folder_that_is_not_a_clone_is_never_deleted(tmp_path: Path) -> None:
    upstream = Upstream(tmp_path, FILES)
    mine = tmp_path / "clones" / "shop" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own notes")
    _search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    with pytest.raises(GitError, match="not a clone made here"):
        await sync.sync("shop")
    assert mine.read_text() == "my own notes"


async def test_a_search_during_an_update_sees_one_commit_never_a_mix(tmp_path: Path) -> None:
    old = {f"app/part_{i}.py": f"def part_{i}_one():\n    pass\n" for i in range(40)}
    upstream = Upstream(tmp_path, old)
    search, sync = build(git_settings(tmp_path, str(upstream.bare)))
    await sync.sync("shop")
    upstream.commit({p: t.replace("_one", "_two") for p, t in old.items()}, "rename all")
    seen: list[set[str]] = []

    async def keep_searching() -> None:
        while True:
            response = await search.search(r"/def part_\d+_(one|two)\(/", repo="shop", limit=100)
            seen.append({h.text.rsplit("_", 1)[1][:3] for h in response.hits})
            await asyncio.sleep(0)

    searching = asyncio.create_task(keep_searching())
    await sync.sync("shop")
    await asyncio.sleep(0.05)
    searching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await searching
    assert seen[0] == {"one"}
    assert seen[-1] == {"two"}
    assert all(versions in ({"one"}, {"two"}) for versions in seen), seen


async def test_ssh_with_a_key_file_clones_and_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # known_hosts goes there, not to ~root
    upstream = Upstream(tmp_path / "host", FILES)
    with ssh_host(tmp_path / "ssh") as host:
        url = f"ssh://root@127.0.0.1:{host.port}{upstream.bare}"
        search, sync = build(git_settings(tmp_path, url, ssh_key=str(host.client_key)))
        await sync.sync("shop")
        assert await paths_for(search, "charge") == {"app/billing.py", "app/orders.py"}
        upstream.commit({"app/tax.py": "def tax(order):\n    pass\n"}, "tax")
        await sync.sync("shop")
        assert await paths_for(search, "tax") == {"app/tax.py"}


async def test_an_ssh_key_the_host_refuses_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    upstream = Upstream(tmp_path / "host", FILES)
    with ssh_host(tmp_path / "ssh") as host:
        url = f"ssh://root@127.0.0.1:{host.port}{upstream.bare}"
        search, sync = build(git_settings(tmp_path, url, ssh_key=str(host.other_key)))
        with pytest.raises(GitError, match="authentication refused"):
            await sync.sync("shop")
        git = search.status()["repos"]["shop"]["git"]  # type: ignore[index]
        assert "authentication refused" in git["last_error"]
