"""Permalinks: derived from the clone URL for the known hosts, or from a `web_url` template."""

from __future__ import annotations

import pytest

from bot.config import settings_from_mapping
from bot.errors import ConfigError
from bot.search.permalink import permalink, template_for

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("url", "link"),
    [
        (
            "https://github.com/org/shop.git",
            f"https://github.com/org/shop/blob/{SHA}/a%20b/c.py#L12",
        ),
        ("git@github.com:org/shop.git", f"https://github.com/org/shop/blob/{SHA}/a%20b/c.py#L12"),
        (
            "https://gitlab.com/group/sub/shop.git",
            f"https://gitlab.com/group/sub/shop/-/blob/{SHA}/a%20b/c.py#L12",
        ),
        (
            "ssh://git@bitbucket.org/team/shop.git",
            f"https://bitbucket.org/team/shop/src/{SHA}/a%20b/c.py#lines-12",
        ),
        (
            "https://codeberg.org/org/shop.git",
            f"https://codeberg.org/org/shop/src/commit/{SHA}/a%20b/c.py#L12",
        ),
        (
            "https://gitea.example.com/org/shop",
            f"https://gitea.example.com/org/shop/src/commit/{SHA}/a%20b/c.py#L12",
        ),
    ],
)
def test_links_derived_for_the_known_hosts(url: str, link: str) -> None:
    assert permalink(template_for(url), SHA, "a b/c.py", 12) == link


def test_unknown_hosts_and_local_paths_need_a_template() -> None:
    assert template_for("https://git.example.com/org/shop.git") == ""
    assert template_for("/srv/git/shop.git") == ""
    template = template_for(
        "/srv/git/shop.git", "https://cgit.example.com/shop/tree/{path}?id={commit}#n{line}"
    )
    assert (
        permalink(template, SHA, "c.py", 3)
        == f"https://cgit.example.com/shop/tree/c.py?id={SHA}#n3"
    )


def test_a_template_with_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"repos\[0\]\.web_url"):
        settings_from_mapping(
            {"repos": [{"name": "shop", "git": "/srv/shop.git", "web_url": "https://x/{sha}"}]}
        )
