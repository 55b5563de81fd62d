"""The prompt templates (prompts/*.j2): Jinja with StrictUndefined, reloaded when edited.

Every template is rendered from typed inputs; a variable the template names but the caller did not
pass is an error, never an empty string. An edit goes live on the next call; an edit that does not
parse keeps the previous version live and logs ``llm.prompt_invalid`` (like flow edits).

Untrusted text (repository code, the user's words, earlier turns) goes through the ``fence``
filter: it is wrapped in a block whose marker is derived from the text's own SHA-256, so the text
cannot close its fence early and pose as instructions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from bot.errors import LLMError, Problem
from bot.flows.templates import unknown_names
from bot.secrets import MASK, SecretMasker

log = logging.getLogger(__name__)

REQUIRED = ("system", "answer", "explain", "classify")
SUFFIX = ".j2"


def fence(text: object, kind: str = "data") -> str:
    body = str(text)
    marker = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    return f"<<<{kind} {marker}>>>\n{body}\n<<<end {kind} {marker}>>>"


@dataclass(frozen=True, slots=True)
class _Compiled:
    mtime_ns: int
    template: jinja2.Template


class PromptLibrary:
    """Templates from one folder, each compiled once per version of its file."""

    def __init__(
        self, directory: Path, *, redact: Iterable[str] = (), masker: SecretMasker | None = None
    ) -> None:
        self.directory = directory
        self.env = jinja2.Environment(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["fence"] = fence
        # Secrets (API keys, tokens) never enter a prompt, whatever the repository or user wrote.
        self._secrets = tuple(sorted({s for s in redact if len(s) >= 8}, key=len, reverse=True))
        self._masker = masker or SecretMasker()
        self._cache: dict[str, _Compiled] = {}
        self._versions: dict[str, tuple[tuple[int, int], bytes]] = {}

    def path(self, name: str) -> Path:
        return self.directory / f"{name}{SUFFIX}"

    def render(self, name: str, variables: Mapping[str, Any]) -> str:
        try:
            text = self._template(name).render(variables)
        except jinja2.UndefinedError as exc:
            raise LLMError(
                f"{self.path(name)}: {exc.message}; pass it or change the template"
            ) from exc
        return self.redact(text.strip())

    def version(self, name: str) -> str:
        """A digest of the template ``name`` and the system prompt as they are on disk now:
        it changes with any edit to either (the answer cache's keys include it)."""
        digest = hashlib.sha256()
        for part in ("system", name):
            path = self.path(part)
            try:
                stat = path.stat()
                stamp = (stat.st_mtime_ns, stat.st_size)
                seen = self._versions.get(part)
                if seen is None or seen[0] != stamp:
                    seen = (stamp, hashlib.sha256(path.read_bytes()).digest())
                    self._versions[part] = seen
                digest.update(seen[1])
            except OSError:
                digest.update(b"missing:" + part.encode())
        return digest.hexdigest()[:16]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        # The same masking as everywhere code is shown, and on even when display masking is off.
        return self._masker.mask(text, always=True)

    def _template(self, name: str) -> jinja2.Template:
        path = self.path(name)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            cached = self._cache.get(name)
            if cached is not None:
                return cached.template  # deleted while running: keep serving the last good one
            raise LLMError(f"prompt template {path} does not exist") from None
        cached = self._cache.get(name)
        if cached is not None and cached.mtime_ns == mtime:
            return cached.template
        try:
            template = self.env.from_string(path.read_text(encoding="utf-8"))
        except (jinja2.TemplateSyntaxError, OSError, UnicodeDecodeError) as exc:
            if cached is None:
                raise LLMError(f"{path}: {exc}") from exc
            log.warning(
                "llm.prompt_invalid", extra={"fields": {"file": str(path), "error": str(exc)}}
            )
            self._cache[name] = _Compiled(mtime, cached.template)
            return cached.template
        self._cache[name] = _Compiled(mtime, template)
        log.info("llm.prompt_loaded", extra={"fields": {"file": str(path)}})
        return template

    def validate(self) -> list[Problem]:
        """Every problem with the templates, at once: missing required ones, syntax errors,
        filters and tests Jinja does not have (it only notices those when the prompt is
        rendered, so every call using it would fail)."""
        problems: list[Problem] = []
        for name in REQUIRED:
            if not self.path(name).exists():
                message = f"is missing: the `{name}` prompt template is required"
                problems.append(Problem(str(self.path(name)), 0, message, code="prompt_missing"))
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            try:
                tree = self.env.parse(path.read_text(encoding="utf-8"))
            except jinja2.TemplateSyntaxError as exc:
                message = exc.message or "syntax error"
                problems.append(Problem(str(path), exc.lineno, message, code="prompt_syntax"))
            except (OSError, UnicodeDecodeError) as exc:
                message = f"cannot be read: {exc}"
                problems.append(Problem(str(path), 0, message, code="prompt_unreadable"))
            else:
                for unknown in unknown_names(self.env, tree):
                    problems.append(Problem(str(path), unknown.lineno, str(unknown), code="jinja"))
        return problems


def check_prompts(directory: Path) -> list[Problem]:
    """For `python -m bot validate`: the prompt folder's problems, as file:line: message."""
    return PromptLibrary(directory).validate()
