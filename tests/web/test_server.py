"""`python server.py` as an operator runs it: environment in, /health up, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
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


def test_the_server_serves_on_port_and_stops_cleanly_on_sigterm(tmp_path: Path, repo: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, repo, PORT=str(port), BOT_ENV="development")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "server.py")],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    health = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert health is not None and health["database"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert "webhook.verification_off" in events  # no token: said loudly
    assert "server.ready" in events


def test_python_m_bot_serve_takes_host_and_port() -> None:
    from bot.cli import build_parser
    from bot.commands import serve

    args = build_parser().parse_args(["serve", "--host", "127.0.0.1", "--port", "9090"])
    assert (args.func, args.host, args.port) == (serve.run, "127.0.0.1", 9090)
