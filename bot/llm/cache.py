"""The answer cache: a completion reused when the same question meets the same code.

The key is made of what decides the answer: the prompt template and system prompt as they are
now, the models in the chain, the indexed version of the repository asked about, the question
normalised (case, spacing, final punctuation), the task's other variables, the snippets sent and
what the user asked earlier in the conversation (a follow-up means something else after another
question). Any change to one of them is a different key, so an edit to a file of the repository,
a template or the model settings is never answered from before it; old entries expire by TTL.
Only answers a model gave are kept: local-mode answers cost nothing to build again.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.cache import SharedCache, normalise
from bot.llm.base import Completion, Task

KIND = "answer"
IndexVersion = Callable[[str], Awaitable[str | None]]


class AnswerCache:
    def __init__(
        self,
        cache: SharedCache,
        *,
        template_version: Callable[[str], str],
        index_version: IndexVersion,
    ) -> None:
        self.cache = cache
        self._template_version = template_version
        self._index_version = index_version

    async def key(self, task: Task, models: Sequence[str]) -> str | None:
        """None when the answer cannot be keyed: its repository is not indexed yet."""
        repo = str(task.variables.get("repo") or "")
        index = await self._index_version(repo) if repo else ""
        if index is None:
            return None
        material = {
            "prompt": task.prompt,
            "templates": self._template_version(task.prompt),
            "models": list(models),
            "index": index,
            "question": normalise(str(task.variables.get("question") or "")),
            "variables": {
                k: normalise(v) if isinstance(v, str) else v
                for k, v in task.variables.items()
                if k != "question"
            },
            "asked_before": [normalise(m.content) for m in task.history if m.role == "user"],
            "snippets": hashlib.sha256("\0".join(task.snippets).encode()).hexdigest(),
            "max_tokens": task.max_tokens,
        }
        return self.cache.key(KIND, _jsonable(material))

    async def get(self, key: str) -> Completion | None:
        value = await self.cache.get(KIND, key)
        if not isinstance(value, dict):
            return None
        try:
            stored = Completion(**{**value, "errors": ()})
        except TypeError:  # written by another version of Completion: a miss
            return None
        return dataclasses.replace(
            stored, tokens_in=0, tokens_out=0, cost_usd=0.0, attempts=0, cached=True
        )

    async def put(self, key: str, completion: Completion) -> None:
        if not completion.used_model or completion.cached:
            return
        value = dataclasses.asdict(completion)
        value.pop("errors")
        await self.cache.put(KIND, key, value, ttl_seconds=self.cache.config.answer_ttl_seconds)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
