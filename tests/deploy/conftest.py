"""The deployment files, read as the platforms read them, checked against the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import settings_from_mapping
from bot.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / "tools" / "bin" / "kubectl"
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
K8S_VERSION = "1.33.0"  # the schemas `make lint` validates against, as scripts/check-deploy.sh


def render(overlay: str) -> list[dict[str, Any]]:
    """`kubectl kustomize` of an overlay, as the docs tell operators to run it."""
    if not KUBECTL.exists():
        pytest.fail("tools/bin/kubectl is missing: run `make tools` (make test does it first)")
    done = subprocess.run(
        [
            str(KUBECTL),
            "kustomize",
            "--load-restrictor=LoadRestrictionsNone",
            str(OVERLAYS / overlay),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def app_routes() -> set[str]:
    """Every path the web app answers, from the app itself."""
    app = create_app(settings_from_mapping({"env": "test"}, base_dir=ROOT))
    return {r.canonical for r in app.router.resources()}


def image_uid() -> int:
    """The uid the Dockerfile runs the service as."""
    found = re.search(r"useradd --uid (\d+)", (ROOT / "Dockerfile").read_text())
    assert found, "the Dockerfile no longer creates its user with a fixed uid"
    return int(found.group(1))
