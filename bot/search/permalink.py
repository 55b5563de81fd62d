"""Links to one line of one commit on the git host's web pages.

Derived from the clone URL for GitHub, GitLab, Bitbucket and Gitea/Forgejo (Codeberg) hosts;
any other host needs a `web_url` template with {commit}, {path} and {line}, for example
``https://git.example.com/org/repo/blob/{commit}/{path}#L{line}``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# host pattern -> the path of a line under https://HOST/OWNER/REPO (compiled when first used)
_LAYOUTS = (
    (r"(^|\.)github\.com$|github", "/blob/{commit}/{path}#L{line}"),
    (r"(^|\.)gitlab\.com$|gitlab", "/-/blob/{commit}/{path}#L{line}"),
    (r"(^|\.)bitbucket\.org$|bitbucket", "/src/{commit}/{path}#lines-{line}"),
    (r"codeberg\.org$|gitea|forgejo", "/src/commit/{commit}/{path}#L{line}"),
)


def template_for(git_url: str, web_url: str = "") -> str:
    """The link template of a repository cloned from ``git_url``; "" when there is none."""
    if web_url:
        return web_url
    url = git_url.strip()
    if "://" not in url and re.match(r"^[^/@\s]+@[^/:\s]+:", url):  # git@host:org/repo.git
        user_host, _, path = url.partition(":")
        url = f"ssh://{user_host}/{path}"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http", "ssh", "git") or not host:
        return ""
    path = parts.path.rstrip("/").removesuffix(".git")
    if path.count("/") < 2:
        return ""
    for pattern, layout in _LAYOUTS:
        if re.search(pattern, host):
            return f"https://{host}{path}{layout}"
    return ""


def permalink(template: str, commit: str, path: str, line: int) -> str:
    """``template`` filled in for one line; "" without a template or a commit."""
    if not template or not commit:
        return ""
    return template.format(commit=commit, path=quote(path), line=line)
