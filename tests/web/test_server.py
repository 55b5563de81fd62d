"""`python server.py` as an operator runs it: environment in, /health up, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, repo: Path, **extra: str) -> dict[str, str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"storage: {{database_url: 'sqlite:///{tmp_path / 'bot.db'}'}}\n"
        f"flows: {{dir: '{ROOT / 'flows'}', prompts_dir: '{ROOT / 'prompts'}', reload: false}}\n"
        f"search: {{index_dir: '{tmp_path / 'index'}'}}\n"
        f"repos: [{{name: demo, path: '{repo}'}}]\n"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TWILIO_"))}
    return {**keep, "BOT_CONFIG": str(config), "HOST": "127.0.0.1", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_production_without_an_auth_token_refuses_to_start(tmp_path: Path, repo: Path) -> None:
    env = _env(tmp_path, repo, BOT_ENV="production", PUBLIC_BASE_URL="https://x.example")
    done = subprocess.run(
        [sys.executable, str(ROOT / "server.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "TWILIO_AUTH_TOKEN" in done.stderr


def _read_until_event(proc: subprocess.Popen[bytes], event: str, seconds: float) -> list[str]:
    """The server's stderr lines up to and including the first JSON line with ``event`` (all of
    them, should the process end or the time run out first)."""
    assert proc.stderr is not None
    fd, buffer, lines = proc.stderr.fileno(), b"", []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            lines.append(raw.decode("utf-8"))
            if _event(lines[-1]) == event:
                return lines
    return lines


def _event(line: str) -> str | None:
    return json.loads(line)["event"] if line.startswith("{") else None


def test_the_server_serves_on_port_and_stops_cleanly_on_sigterm(tmp_path: Path, repo: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, repo, PORT=str(port), BOT_ENV="development")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "server.py")], env=env, stderr=subprocess.PIPE, cwd=tmp_path
    )
    try:
        lines = _read_until_event(proc, "server.ready", 60)
        ready = json.loads(lines[-1])
        assert ready["event"] == "server.ready", lines
        assert (ready["listening"], ready["host"], ready["port"]) == (
            f"http://127.0.0.1:{port}",
            "127.0.0.1",
            port,
        )
        # Ready means listening: the very next request is answered.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
            health = json.loads(r.read())
        assert health["database"] == "connected"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 0
    events = [_event(line) for line in [*lines, *rest.decode("utf-8").splitlines()]]
    assert "webhook.verification_off" in events  # no token: said loudly
    assert events.count("server.ready") == 1


def test_a_port_in_use_is_one_clear_error(tmp_path: Path, repo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(ROOT / "server.py")],
            env=_env(tmp_path, repo, PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another server?): stop what "
        f"listens there, or choose another port with PORT={port + 1} or server.port in the "
        "config file"
    ]
    assert done.stdout == ""


def test_python_m_bot_serve_names_the_port_in_use_too(tmp_path: Path, repo: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(tmp_path, repo),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: port {port} on 127.0.0.1 is already in use")
    assert len(done.stderr.splitlines()) == 1


def test_python_m_bot_serve_takes_host_and_port() -> None:
    from bot.cli import build_parser
    from bot.commands import serve

    args = build_parser().parse_args(["serve", "--host", "127.0.0.1", "--port", "9090"])
    assert (args.func, args.host, args.port) == (serve.run, "127.0.0.1", 9090)
