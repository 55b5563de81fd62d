"""A local OpenAI-compatible embeddings endpoint (POST /v1/embeddings) for ChunkHound to call.

Vectors are hashed bags of words, so texts sharing words are close: enough for a real
semantic backend to rank a file about signatures above one about colours.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct

from aiohttp import web

DIMS = 1536  # what ChunkHound expects of text-embedding-3-small
_WORD = re.compile(r"[a-z]+")


def embed(text: str) -> list[float]:
    vector = [0.0] * DIMS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word[:6].encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "little") % DIMS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


async def embeddings(request: web.Request) -> web.Response:
    body = await request.json()
    inputs = body.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    data = []
    for i, text in enumerate(texts):
        vector = embed(str(text))
        if body.get("encoding_format") == "base64":
            packed = base64.b64encode(struct.pack(f"<{DIMS}f", *vector)).decode()
            data.append({"object": "embedding", "index": i, "embedding": packed})
        else:
            data.append({"object": "embedding", "index": i, "embedding": vector})
    tokens = sum(len(str(t).split()) for t in texts)
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": body.get("model", "fake-embed"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/embeddings", embeddings)
    return app
