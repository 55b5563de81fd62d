"""Run N real `server.py` processes on loopback ports and talk to them like Twilio does.

Used by bench/scale.py and by the multi-instance tests (tests/coord/test_instances.py). Every
request is signed with twilio's own RequestValidator against one public URL, as a load balancer
in front of the instances would make Twilio see it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "https://bot.example.com"
AUTH_TOKEN = "cluster-test-token"
BOT_NUMBER = "whatsapp:+14155238886"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_repository(workdir: Path) -> Path:
    """The one small repository the instances search (workdir/repo)."""
    repo = workdir / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "app.py").write_text(
        "class Template:\n    pass\n\n\ndef render(template):\n    return Template()\n"
    )
    return repo


def write_config(
    workdir: Path, *, database_url: str, redis_url: str, lease: float = 2.0, reclaim: float = 15.0
) -> Path:
    repo = demo_repository(workdir)
    config = workdir / "config.yaml"
    config.write_text(
        f"""env: test
log_level: WARNING
server: {{host: 127.0.0.1, public_base_url: "{PUBLIC}"}}
storage:
  database_url: "{database_url}"
  redis_url: "{redis_url}"
  lock_lease_seconds: {lease}
  reclaim_after_seconds: {reclaim}
  redis_retry_seconds: 0.5
flows: {{dir: "{ROOT / "flows"}", prompts_dir: "{ROOT / "prompts"}", reload: false}}
limits: {{rate_limit_per_minute: 1000000, reply_budget_seconds: 10}}
llm: {{chain: [local]}}
search: {{index_dir: "{workdir / "index"}"}}
repos: [{{name: demo, path: "{repo}", description: a tiny repository}}]
""",
        encoding="utf-8",
    )
    return config


@dataclass
class Instance:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


@dataclass
class Cluster:
    config: Path
    instances: list[Instance] = field(default_factory=list)

    def start(self, count: int = 1) -> list[Instance]:
        started = []
        for _ in range(count):
            port = free_port()
            log = self.config.with_name(f"server-{port}.log")
            env = {
                **os.environ,
                "BOT_CONFIG": str(self.config),
                "PORT": str(port),
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "PYTHONUNBUFFERED": "1",
            }
            for name in ("DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID", "BOT_ENV"):
                env.pop(name, None)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, str(ROOT / "server.py")],
                    cwd=self.config.parent,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append(Instance(port, proc, log))
        self.instances.extend(started)
        for instance in started:
            wait_healthy(instance)
        return started

    def kill(self, instance: Instance, sig: int = signal.SIGKILL) -> None:
        instance.proc.send_signal(sig)
        instance.proc.wait(timeout=20)

    def stop(self) -> None:
        for instance in self.instances:
            if instance.alive:
                instance.proc.send_signal(signal.SIGTERM)
        for instance in self.instances:
            try:
                instance.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                instance.proc.kill()
                instance.proc.wait()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_healthy(instance: Instance, timeout: float = 60.0) -> None:
    """Until /health answers 200 and the search index is built: a server answers while it
    indexes ("still indexing"), and runs compared with each other must not see that note in
    some and not in others."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not instance.alive:
            raise RuntimeError(f"server on {instance.port} exited:\n{instance.log.read_text()}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{instance.url}/health", timeout=1) as answer,
        ):
            search = json.load(answer).get("search")
            state = search.get("state") if isinstance(search, dict) else None
            if answer.status == 200 and state != "indexing":
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on {instance.port} not healthy in {timeout} s")


def signed(sender: str, body: str, sid: str) -> tuple[dict[str, str], dict[str, str]]:
    """The form Twilio posts for one WhatsApp message, and its headers."""
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": BOT_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Load",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC}/webhook", form)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return form, headers


async def post(
    http: aiohttp.ClientSession, instance: Instance, sender: str, body: str, sid: str
) -> tuple[int, str]:
    form, headers = signed(sender, body, sid)
    async with http.post(f"{instance.url}/webhook", data=urlencode(form), headers=headers) as r:
        return r.status, await r.text()


async def health(http: aiohttp.ClientSession, instance: Instance) -> tuple[int, dict[str, object]]:
    async with http.get(f"{instance.url}/health") as answer:
        return answer.status, await answer.json()
