"""Secrets committed in a repository (API keys, tokens, private keys), masked wherever code is
shown: search results, `open`, local answers, and everything sent to a language model.

One ``SecretMasker`` does it all. It knows the shapes of well-known credentials, values assigned
to names that say they are secret (``password = "..."``), the body of PEM private keys (which
spans lines, so it is found on the whole file), and the extra patterns of ``secrets.patterns``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config import SecretsConfig
from bot.errors import ConfigError

MASK = "[redacted]"

# (pattern, group masked: 0 for the whole match). Tokens carry a recognisable prefix; values
# assigned to secret-sounding names are masked whatever they look like.
KNOWN: tuple[tuple[str, int], ...] = (
    (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0),  # AWS access key id
    (r"\bgh[pousr]_[A-Za-z0-9]{36,}", 0),  # GitHub tokens
    (r"\bgithub_pat_[A-Za-z0-9_]{22,}", 0),
    (r"\bglpat-[A-Za-z0-9_-]{20,}", 0),  # GitLab
    (r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}", 0),  # OpenAI, Anthropic
    (r"\b[rs]k_live_[0-9A-Za-z]{16,}", 0),  # Stripe
    (r"\bxox[abprs]-[A-Za-z0-9-]{10,}", 0),  # Slack
    (r"\bAIza[0-9A-Za-z_-]{35}", 0),  # Google API key
    (r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", 0),  # a JWT
    (r"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----", 0),  # one line
    (
        r"(?i)(?:secret|passw(?:or)?d|api[_-]?key|access[_-]?key|auth[_-]?token|private[_-]?key"
        r"|client[_-]?secret)[\w.-]*[\"']?\s*[:=]\s*[\"']([^\"'\s]{8,})[\"']",
        1,
    ),
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    group: int  # 0: the whole match

    def replace(self, match: re.Match[str]) -> str:
        if self.group == 0 or match.group(self.group) is None:
            return MASK
        start, end = match.span(self.group)
        offset = match.start(0)
        whole = match.group(0)
        return whole[: start - offset] + MASK + whole[end - offset :]


class SecretMasker:
    """``enabled`` False shows code as it is (``secrets.mask: false``)."""

    def __init__(self, *, enabled: bool = True, extra: Iterable[str] = ()) -> None:
        self.enabled = enabled
        rules = []
        for n, pattern in enumerate(extra):  # refused at once when one is not a regex
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"secrets.patterns[{n}]", f"is not a valid regex: {exc}"
                ) from None
            rules.append(_Rule(compiled, 1 if compiled.groups else 0))
        self._extra = tuple(rules)

    @functools.cached_property
    def _rules(self) -> tuple[_Rule, ...]:
        """The known shapes, compiled when code is first shown, then ``secrets.patterns``."""
        return (*(_Rule(re.compile(p), g) for p, g in KNOWN), *self._extra)

    @classmethod
    def from_config(cls, config: SecretsConfig) -> SecretMasker:
        return cls(enabled=config.mask, extra=config.patterns)

    def mask(self, text: str, *, always: bool = False) -> str:
        """``text`` with every secret replaced by [redacted]; ``always`` masks even when display
        masking is off (prompts sent to a model)."""
        if not (self.enabled or always):
            return text
        for rule in self._rules:
            text = rule.pattern.sub(rule.replace, text)
        return text

    def mask_lines(self, lines: Sequence[str], first: int, key_lines: Sequence[range]) -> list[str]:
        """Lines ``first``, ``first + 1``... of a file: each masked, and the lines inside one of
        the file's private keys (``private_key_lines``) replaced whole."""
        if not self.enabled:
            return list(lines)
        shown = []
        for n, line in enumerate(lines, start=first):
            inside = any(n in block for block in key_lines)
            if inside and line.strip():
                shown.append(line[: len(line) - len(line.lstrip())] + MASK)
            else:
                shown.append(self.mask(line))
        return shown


def private_key_lines(text: str) -> list[range]:
    """The line numbers (1-based) of each PEM private key's body, between BEGIN and END."""
    if "PRIVATE KEY-----" not in text:
        return []
    blocks = []
    begin: int | None = None
    for n, line in enumerate(text.splitlines(), start=1):
        if begin is None and _PEM_BEGIN.search(line) and not _PEM_END.search(line):
            begin = n
        elif begin is not None and _PEM_END.search(line):
            blocks.append(range(begin + 1, n))
            begin = None
    if begin is not None:  # no END: the rest of the file is the key
        blocks.append(range(begin + 1, len(text.splitlines()) + 1))
    return blocks
