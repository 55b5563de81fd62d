"""The indexed version of a repository: a digest of every indexed file's path and content.

Two instances that indexed the same files get the same version (whatever order they read them
in), so they can share cached answers; any change to an indexed file is a new version.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.search.index import RepoSnapshot


def content_version(snap: RepoSnapshot) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path, data in sorted(zip(snap.paths, snap.contents, strict=True)):
        if data is None:
            continue
        encoded = path.encode("utf-8")
        digest.update(len(encoded).to_bytes(4, "big") + encoded)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class IndexVersions:
    """The version of each repository's current snapshot, computed once per snapshot (off the
    event loop: it reads every indexed byte)."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[RepoSnapshot, str]] = {}

    async def of(self, snap: RepoSnapshot) -> str:
        known = self._known.get(snap.name)
        if known is not None and known[0] is snap:
            return known[1]
        version = await asyncio.to_thread(content_version, snap)
        self._known[snap.name] = (snap, version)
        return version
