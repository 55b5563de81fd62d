"""How soon `python -m bot chat` answers the first message piped into it, on a warm index.

Each run starts `python -m bot chat` as a new process with one message on stdin and measures the
time from starting the process until the first line of the reply is on its stdout (not until the
process exits). The index is warm: one untimed run first leaves the on-disk index of every
configured repository in a temporary BOT_SEARCH__INDEX_DIR, which the timed runs reuse (as they
would data/index after an earlier chat). Sessions go to a temporary SQLite database, a new user per
run, so every run is a first conversation; no language model key is passed on.

The anchor, measured in the same run and the same way, alternating with the chats: a bare
`python -c` that prints one line at once (the interpreter's own start-up, the floor of any command).

    .venv/bin/python bench/chat_start.py [--runs 20] [--message hi]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3
ANCHOR = (sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()")
# Keys would make the chat build provider clients: the question here is the local start-up.
DROPPED = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def first_line(
    command: Sequence[str], message: str, env: Mapping[str, str], *, warm: bool = True
) -> tuple[float, str]:
    """Seconds from starting `command` until its first stdout line, and that line."""
    read_end, write_end = os.pipe()  # the message is in the pipe before the process starts
    os.write(write_end, (message + "\n").encode())
    os.close(write_end)
    started = time.perf_counter()
    with os.fdopen(read_end) as stdin:
        proc = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=ROOT,
            text=True,
            encoding="utf-8",
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    rest, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or not line.strip():
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{line}{rest}\n{err}")
    if warm and "indexing" in err:
        sys.exit(f"the index was not warm: the chat indexed on this run:\n{err}")
    return elapsed, line.rstrip("\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--message", default="hi", help="the first (and only) message piped in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-chat-start-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED}
        env["BOT_SEARCH__INDEX_DIR"] = str(Path(tmp) / "index")
        env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bot.db'}"

        def chat(user: str) -> list[str]:
            config = str(ROOT / "config.yaml")
            return [sys.executable, "-m", "bot", "--config", config, "chat", "--user", user]

        started = time.perf_counter()
        first_line(chat("bench:warm-up"), args.message, env, warm=False)  # builds the index
        print(f"warm-up run (index built): {time.perf_counter() - started:.2f} s", file=sys.stderr)
        replies, anchors = [], []
        shown = ""
        for n in range(args.runs):
            anchors.append(first_line(ANCHOR, "", env)[0])
            seconds, shown = first_line(chat(f"bench:{n}"), args.message, env)
            replies.append(seconds)
    p50, p95 = statistics.median(replies), percentile(replies, 0.95)
    anchor = statistics.median(anchors)
    print(f"first reply to {args.message!r}: {shown!r}")
    print(f"python -m bot chat, first reply line: p50 {p50:.3f} s, p95 {p95:.3f} s", end="")
    print(f" ({args.runs} runs)")
    print(f"anchor, bare python -c printing a line: p50 {anchor:.3f} s")
    print(f"ratio {p50 / anchor:.1f}x the anchor; target {TARGET_S} s")
    print(
        f"RESULT first_reply_p50_s={p50:.3f} first_reply_p95_s={p95:.3f} "
        f"anchor_s={anchor:.3f} ratio={p50 / anchor:.1f}"
    )


if __name__ == "__main__":
    main()
