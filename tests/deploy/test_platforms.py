"""Railway, Heroku, DigitalOcean and Fly files, read as each platform reads them, against the
code: the same start command on the platform's port, migrations at release, a health check on a
path the app serves, and only variables the settings know."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ENV_ALIASES
from tests.deploy.conftest import ROOT, app_routes

START = "python server.py"
RELEASE = "python -m bot migrate"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def railway() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "railway.json").read_text())
    return data


def fly() -> dict[str, Any]:
    return tomllib.loads((ROOT / "fly.toml").read_text())


def digitalocean() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / ".do" / "app.yaml").read_text())
    return data


def heroku_app() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "app.json").read_text())
    return data


def dockerfile_cmd() -> str:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            return " ".join(json.loads(line[4:]))
    raise AssertionError("the Dockerfile has no CMD")


def start_commands() -> dict[str, str]:
    (do_web,) = digitalocean()["services"]
    return {
        "docker (fly, railway, kubernetes)": dockerfile_cmd(),
        "railway": railway()["deploy"]["startCommand"],
        "heroku": procfile()["web"],
        "digitalocean": do_web["run_command"],
    }


def release_commands() -> dict[str, str]:
    (job,) = digitalocean()["jobs"]
    assert job["kind"] == "PRE_DEPLOY"
    return {
        "railway": " ".join(railway()["deploy"]["preDeployCommand"]),
        "heroku": procfile()["release"],
        "digitalocean": job["run_command"],
    }


def health_paths() -> dict[str, str]:
    (do_web,) = digitalocean()["services"]
    (check,) = fly()["http_service"]["checks"]
    return {
        "railway": railway()["deploy"]["healthcheckPath"],
        "digitalocean": do_web["health_check"]["http_path"],
        "fly": check["path"],
    }


def test_every_platform_starts_the_same_server() -> None:
    assert set(start_commands().values()) == {START}


def test_every_platform_with_a_release_step_migrates_there() -> None:
    assert set(release_commands().values()) == {RELEASE}
    # Fly's is written out but commented: its release machine has no volume for SQLite.
    assert f'#   release_command = "{RELEASE}"' in (ROOT / "fly.toml").read_text()


def test_health_checks_ask_an_endpoint_the_app_serves() -> None:
    routes = app_routes()
    for platform, path in health_paths().items():
        assert path == "/health", platform
        assert path in routes


def test_fixed_ports_agree_with_the_port_the_server_is_told() -> None:
    """Fly and DigitalOcean route to a port named in their file, which must be the PORT the
    server listens on; Railway and Heroku choose $PORT themselves, so their files name none."""
    assert ENV_ALIASES["PORT"] == "server.port"
    config = fly()
    assert config["http_service"]["internal_port"] == int(config["env"]["PORT"])
    (do_web,) = digitalocean()["services"]
    do_env = {e["key"]: e.get("value") for e in do_web["envs"]}
    assert do_web["http_port"] == int(do_env["PORT"])
    docker = (ROOT / "Dockerfile").read_text()
    assert "PORT=8080" in docker and "EXPOSE 8080" in docker
    assert "PORT" not in json.dumps(railway())
    assert "PORT" not in json.dumps(heroku_app()) and "PORT" not in procfile()["web"]


def test_platform_variables_are_ones_the_settings_read() -> None:
    """A misspelt variable in a platform file would be silently ignored by the server."""
    (do_web,) = digitalocean()["services"]
    named = {
        "heroku": set(heroku_app()["env"]),
        "digitalocean": {e["key"] for e in do_web["envs"]},
        "fly": set(fly()["env"]),
    }
    for platform, names in named.items():
        unknown = {n for n in names if n not in ENV_ALIASES and not n.startswith("BOT_")}
        assert not unknown, f"{platform}: {sorted(unknown)}"
        assert {"BOT_ENV", "PUBLIC_BASE_URL"} <= names, platform


def test_heroku_installs_the_pinned_packages_with_its_add_ons() -> None:
    app = heroku_app()
    assert app["buildpacks"] == [{"url": "heroku/python"}]
    assert (ROOT / "requirements.txt").read_text().splitlines()[-1] == "-r requirements.lock"
    plans = {a["plan"].split(":")[0]: a.get("as") for a in app["addons"]}
    # The add-ons' variables are the names the settings read.
    assert plans == {"heroku-postgresql": "DATABASE", "heroku-redis": "REDIS"}
    assert {"DATABASE_URL", "REDIS_URL"} <= set(ENV_ALIASES)
    required = {k for k, v in app["env"].items() if v.get("required")}
    assert {"TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "PUBLIC_BASE_URL"} <= required
    version = (ROOT / ".python-version").read_text().strip()
    assert version.startswith("3.1") and int(version.split(".")[1]) >= 11


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def platform_env(tmp_path: Path) -> dict[str, str]:
    """The environment a platform gives the process: a config, a database, a port."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("def handler(request):\n    return 'ok'\n")
    config = tmp_path / "config.yaml"
    config.write_text(
        f"flows: {{dir: '{ROOT / 'flows'}', prompts_dir: '{ROOT / 'prompts'}', reload: false}}\n"
        f"search: {{index_dir: '{tmp_path / 'index'}'}}\n"
        f"repos: [{{name: demo, path: '{repo}'}}]\n"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TWILIO_"))}
    keep.pop("LOG_FILE", None)
    return {
        **keep,
        "BOT_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HOST": "127.0.0.1",
    }


def _run(command: str) -> list[str]:
    """A platform's command line, with the project's interpreter for `python`."""
    words = shlex.split(command)
    assert words[0] == "python"
    return [sys.executable, *words[1:]]


def test_release_then_start_serves_health_on_the_given_port(
    platform_env: dict[str, str], tmp_path: Path
) -> None:
    migrated = subprocess.run(
        _run(RELEASE), env=platform_env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "bot.db").exists()

    port = _free_port()
    log_file = tmp_path / "logs" / "whatsapp_assistant.log"
    env = {**platform_env, "PORT": str(port), "LOG_FILE": str(log_file)}
    proc = subprocess.Popen(_run(START), env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                    assert r.status == 200
                    assert json.loads(r.read())["database"] == "connected"
                    break
            except OSError:
                assert proc.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "no answer on $PORT within 60 s"
                time.sleep(0.2)
        for path in {*health_paths().values(), "/live"}:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    # LOG_FILE gets the same JSON lines as stderr.
    printed = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    written = log_file.read_text(encoding="utf-8").splitlines()
    assert written == printed
    assert "server.ready" in {json.loads(line)["event"] for line in written}
