"""The GitHub Actions workflows, against what the test suite and the deploy need."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.conftest import ROOT


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return data


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_ci_runs_the_tests_and_checks_beside_the_servers_they_use() -> None:
    ci = workflow("ci.yml")
    triggers = ci[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    (job,) = ci["jobs"].values()
    assert "make test" in runs(job) and "make lint" in runs(job)
    services = job["services"]
    # tests/store/conftest.py and tests/coord/conftest.py connect to these.
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert services["postgres"]["env"] == {
        "POSTGRES_HOST_AUTH_METHOD": "trust",
        "POSTGRES_DB": "test",
    }
    assert services["redis"]["ports"] == ["6379:6379"]
    assert (
        'PG_URL = "postgresql://postgres@127.0.0.1:5432/test"'
        in (ROOT / "tests" / "store" / "conftest.py").read_text()
    )


def test_deploy_runs_after_ci_passed_on_main_and_ships_that_commit() -> None:
    deploy = workflow("deploy.yml")
    trigger = deploy[True]["workflow_run"]
    assert trigger == {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
    assert workflow("ci.yml")["name"] == "CI"
    assert "conclusion == 'success'" in deploy["jobs"]["image"]["if"]
    assert deploy["permissions"]["packages"] == "write"
    for job in deploy["jobs"].values():
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
        assert checkout["with"]["ref"] == "${{ env.COMMIT }}"
    assert deploy["jobs"]["railway"]["needs"] == deploy["jobs"]["fly"]["needs"] == "image"
