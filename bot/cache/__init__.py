"""A cache of computed answers (language-model completions, search results) shared by every
instance through Redis when ``storage.redis_url`` is set, else held in this process."""

from bot.cache.backends import Backend, MemoryBackend
from bot.cache.shared import SharedCache, normalise

__all__ = ["Backend", "MemoryBackend", "SharedCache", "normalise"]
