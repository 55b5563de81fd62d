"""tiktoken's OpenAI encodings, loaded from files shipped in this folder: never downloaded.

tiktoken normally fetches ``o200k_base.tiktoken`` / ``cl100k_base.tiktoken`` from OpenAI's blob
store the first time they are used, which fails offline and would make a first answer hang. The
files here are byte-for-byte those files (xz-compressed); each is checked against the SHA-256
that tiktoken itself pins, so a wrong or corrupt file is refused, never used. ``build.py`` beside
this file regenerates them from a PyPI wheel (see docs/llm.md).

The pattern strings and special tokens below are copied from ``tiktoken_ext.openai_public``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import lzma
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import LLMError

if TYPE_CHECKING:
    import tiktoken

HERE = Path(__file__).resolve().parent

_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    name: str
    sha256: str  # of the uncompressed .tiktoken file, as pinned by tiktoken_ext.openai_public
    pat_str: str
    special_tokens: dict[str, int]

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.tiktoken.xz"


SPECS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        "o200k_base",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PAT,
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": EncodingSpec(
        "cl100k_base",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PAT,
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}


def parse_ranks(contents: bytes) -> dict[bytes, int]:
    """The ``base64-token rank`` lines of a .tiktoken file (as tiktoken.load does)."""
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


# Cached per process: the data is immutable and parsing o200k takes ~0.3 s; tiktoken itself caches
# its encodings the same way.
@functools.cache
def load_encoding(name: str) -> tiktoken.Encoding:
    """The encoding ``name`` from the shipped file; LLMError when it is missing or corrupt."""
    spec = SPECS.get(name)
    if spec is None:
        raise LLMError(f"no shipped tiktoken encoding named {name!r}; known: {', '.join(SPECS)}")
    try:
        contents = lzma.decompress(spec.path.read_bytes())
    except (OSError, lzma.LZMAError) as exc:
        raise LLMError(f"cannot read {spec.path}: {exc}; run bot/llm/encodings/build.py") from exc
    digest = hashlib.sha256(contents).hexdigest()
    if digest != spec.sha256:
        raise LLMError(f"{spec.path} has SHA-256 {digest}, expected {spec.sha256}; rebuild it")
    import tiktoken  # only a configured provider counts tokens

    return tiktoken.Encoding(
        name=spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=parse_ranks(contents),
        special_tokens=spec.special_tokens,
    )
