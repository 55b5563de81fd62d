"""A stand-in for `chunkhound mcp --stdio`: MCP (JSON-RPC 2.0, one message per line) on stdio.

How it behaves is read from the file MODE in its working folder (the repository root):
  ok          answers `initialize` and `tools/call search` with one markdown result
  hang        answers `initialize`, never answers a search
  hang-start  never answers `initialize`
  die         answers `initialize`, then on a search writes to stderr and exits with status 3
Each start appends a line (mode, process id) to STARTS in the same folder, so tests can count
starts and check that the processes are gone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

RESULT = "## `{path}` L1\u2013L2 \u2014 verify_signature (91%)\n\n```python\n{code}\n```\n"


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    here = Path.cwd()
    mode = (here / "MODE").read_text().strip() if (here / "MODE").is_file() else "ok"
    with (here / "STARTS").open("a") as starts:
        starts.write(f"{mode} {os.getpid()}\n")
    print(f"fake chunkhound starting in {mode} mode", file=sys.stderr, flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        method, ident = message.get("method"), message.get("id")
        if method == "initialize":
            if mode == "hang-start":
                time.sleep(3600)
            send({"jsonrpc": "2.0", "id": ident, "result": {"protocolVersion": "2024-11-05"}})
        elif method == "tools/call":
            if mode == "hang":
                continue
            if mode == "die":
                print("boom: the vector index is corrupt", file=sys.stderr, flush=True)
                return 3
            text = RESULT.format(path="auth.py", code="def verify_signature(request, token):")
            send({"jsonrpc": "2.0", "id": ident,
                  "result": {"content": [{"type": "text", "text": text}]}})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
