"""How soon `python -m bot chat` answers the first message piped into it, on a warm index.

Each run starts `python -m bot chat` as a new process with one message on stdin and measures the
time from starting the process until the first line of the reply is on its stdout (not until the
process exits). The index is warm: one untimed run first leaves the on-disk index of every
configured repository in a temporary BOT_SEARCH__INDEX_DIR, which the timed runs reuse (as they
would data/index after an earlier chat). Sessions go to a temporary SQLite database, a new user per
run, so every run is a first conversation; no language model key is passed on.

The anchor, measured in the same run and the same way, alternating with the chats: a bare
`python -c` that prints one line at once (the interpreter's own start-up, the floor of any command).

Python compiles the project's modules at every start when bytecode is not written
(PYTHONDONTWRITEBYTECODE, as on this machine and in the Docker image); with --bytecode the warm-up
run writes it to a temporary PYTHONPYCACHEPREFIX that the timed runs read, as on a machine that
writes bytecode. --compare PATH times another checkout of the project too (the commit before a
change: `git archive COMMIT | tar -x -C PATH`), alternating with this one, so both see the same
load on a shared machine.

    .venv/bin/python bench/chat_start.py [--runs 20] [--message hi] [--bytecode] [--compare PATH]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3
ANCHOR = (sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()")
# Keys would make the chat build provider clients: the question here is the local start-up.
DROPPED = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def first_line(command: Sequence[str], message: str, env: Mapping[str, str], cwd: Path) -> float:
    """Seconds from starting `command` until its first stdout line."""
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
            cwd=cwd,
            text=True,
            encoding="utf-8",
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    rest, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or not line.strip():
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{line}{rest}\n{err}")
    return elapsed


class Checkout:
    """`python -m bot chat` from one checkout, with its own index folder and database."""

    def __init__(self, root: Path, scratch: Path, *, bytecode: bool) -> None:
        self.root = root
        scratch.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in DROPPED}
        env["BOT_SEARCH__INDEX_DIR"] = str(scratch / "index")
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'bot.db'}"
        if bytecode:
            env["PYTHONPYCACHEPREFIX"] = str(scratch / "bytecode")
        self.env = env
        self.bytecode = bytecode
        self.times: list[float] = []

    def command(self, user: str) -> list[str]:
        config = str(self.root / "config.yaml")
        return [sys.executable, "-m", "bot", "--config", config, "chat", "--user", user]

    def warm_up(self, message: str) -> None:
        """One untimed run: builds the index (and with --bytecode writes the bytecode)."""
        env = dict(self.env)
        if self.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        started = time.perf_counter()
        first_line(self.command("bench:warm-up"), message, env, self.root)
        index = Path(self.env["BOT_SEARCH__INDEX_DIR"])
        built = sorted(p.name for p in index.glob("*.analyses"))
        repos = load_settings(self.root / "config.yaml", environ={}, read_dotenv=False).repos
        if len(built) < len(repos):
            sys.exit(f"{self.root}: the warm-up run left no index for some repositories: {built}")
        print(f"{self.root}: warm-up {time.perf_counter() - started:.2f} s", file=sys.stderr)

    def run(self, n: int, message: str) -> None:
        self.times.append(first_line(self.command(f"bench:{n}"), message, self.env, self.root))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--message", default="hi", help="the first (and only) message piped in")
    parser.add_argument("--bytecode", action="store_true", help="timed runs read bytecode")
    parser.add_argument("--compare", type=Path, help="another checkout, timed alternately")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-chat-start-") as tmp:
        this = Checkout(ROOT, Path(tmp) / "this", bytecode=args.bytecode)
        checkouts = [this]
        if args.compare:
            other = args.compare.resolve()
            checkouts.append(Checkout(other, Path(tmp) / "other", bytecode=args.bytecode))
        for checkout in checkouts:
            checkout.warm_up(args.message)
        anchors = []
        for n in range(args.runs):
            anchors.append(first_line(ANCHOR, "", this.env, ROOT))
            for checkout in checkouts:
                checkout.run(n, args.message)
    anchor = statistics.median(anchors)
    p50, p95 = statistics.median(this.times), percentile(this.times, 0.95)
    bytecode = "read from a prefix" if args.bytecode else _bytecode_note()
    print(f"{args.runs} runs, first message {args.message!r}; bytecode: {bytecode}")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores)")
    print(f"anchor, bare python -c printing a line:  p50 {anchor:.3f} s")
    print(f"python -m bot chat, first reply line:    p50 {p50:.3f} s  p95 {p95:.3f} s")
    result = (
        f"RESULT first_reply_p50_s={p50:.3f} first_reply_p95_s={p95:.3f} "
        f"anchor_s={anchor:.3f} ratio={p50 / anchor:.1f}"
    )
    for before in checkouts[1:]:
        c50, c95 = statistics.median(before.times), percentile(before.times, 0.95)
        print(f"the same from {before.root}: p50 {c50:.3f} s  p95 {c95:.3f} s")
        result += f" compare_p50_s={c50:.3f} compare_p95_s={c95:.3f}"
    print(f"ratio {p50 / anchor:.1f}x the anchor; target {TARGET_S} s")
    print(result)


def _bytecode_note() -> str:
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "not written (PYTHONDONTWRITEBYTECODE): the project's modules compile at each start"
    return "as this environment writes and reads it"


if __name__ == "__main__":
    main()
