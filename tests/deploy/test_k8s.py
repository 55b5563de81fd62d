"""The Kubernetes overlays, rendered by kustomize: schemas, probes, security, replicas, config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from bot.config import load_settings
from tests.deploy.conftest import K8S_VERSION, ROOT, app_routes, image_uid, render

Doc = dict[str, Any]


def one(docs: list[Doc], kind: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod(docs: list[Doc]) -> Doc:
    spec: Doc = one(docs, "Deployment")["spec"]["template"]["spec"]
    return spec


@pytest.fixture(scope="module", params=["single", "scaled"])
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Doc]]:
    return request.param, render(request.param)


def test_every_object_is_valid_for_the_pinned_kubernetes_version(overlay) -> None:
    _, docs = overlay
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_probes_hit_endpoints_the_app_serves(overlay) -> None:
    _, docs = overlay
    container = pod(docs)["containers"][0]
    routes = app_routes()
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/live"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in routes
        assert get["port"] == "http"
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PORT"] == "8080"


def test_pods_run_unprivileged_on_a_read_only_root(overlay) -> None:
    _, docs = overlay
    spec = pod(docs)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == image_uid()
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"] + spec["initContainers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        # Everything written goes to a mounted volume: the data folder or /tmp.
        writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
        assert writable == {"/app/data", "/tmp"}


def test_the_schema_is_migrated_before_the_server_starts(overlay) -> None:
    _, docs = overlay
    spec = pod(docs)
    (migrate,) = spec["initContainers"]
    assert migrate["command"] == ["python", "-m", "bot", "migrate"]
    assert migrate["image"] == spec["containers"][0]["image"]
    assert spec["containers"][0]["command"] == ["python", "server.py"]
    # The init container sees the same database settings as the server.
    assert migrate["envFrom"] == spec["containers"][0]["envFrom"]
    server_db = [e for e in spec["containers"][0]["env"] if e["name"] == "DATABASE_URL"]
    migrate_db = [e for e in migrate["env"] if e["name"] == "DATABASE_URL"]
    assert server_db == migrate_db


def test_secrets_come_by_reference_never_inline(overlay) -> None:
    _, docs = overlay
    assert not [d for d in docs if d["kind"] == "Secret"]
    container = pod(docs)["containers"][0]
    assert container["envFrom"] == [{"secretRef": {"name": "codechat-secrets"}}]
    for entry in container["env"]:
        if entry["name"] in {"DATABASE_URL", "REDIS_URL"}:
            assert entry["valueFrom"]["secretKeyRef"]["name"] == "codechat-secrets"


def test_config_and_flows_come_from_config_maps_the_server_reads(overlay, tmp_path: Path) -> None:
    _, docs = overlay
    spec = pod(docs)
    container = spec["containers"][0]
    maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    config_map = maps[volumes["config"]["configMap"]["name"]]
    flows_map = maps[volumes["flows"]["configMap"]["name"]]
    # Every shipped flow is in the ConfigMap, as it is in the project.
    assert set(flows_map["data"]) == {p.name for p in (ROOT / "flows").glob("*.yaml")}
    for name, text in flows_map["data"].items():
        assert text == (ROOT / "flows" / name).read_text(encoding="utf-8")
    # The config file is where BOT_CONFIG says, and its paths point at the mounts.
    env = {e["name"]: e.get("value") for e in container["env"]}
    config_path = Path(env["BOT_CONFIG"])
    assert str(config_path.parent) == mounts["config"]
    local = tmp_path / config_path.name
    local.write_text(config_map["data"][config_path.name], encoding="utf-8")
    settings = load_settings(local, environ={})
    assert settings.production
    assert settings.flows.dir == mounts["flows"]
    assert settings.search.index_dir.startswith(mounts["data"] + "/")
    assert settings.storage.database_url == f"sqlite:///{mounts['data']}/bot.db"
    assert settings.flows.prompts_dir == "/app/prompts"  # in the image: WORKDIR /app
    assert "WORKDIR /app" in (ROOT / "Dockerfile").read_text()


def test_service_and_ingress_route_only_the_webhooks_to_the_pods(overlay) -> None:
    _, docs = overlay
    service, ingress = one(docs, "Service"), one(docs, "Ingress")
    labels = pod_labels(docs)
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    paths = {p["path"]: p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert (
        {"/webhook", "/status"}
        <= set(paths)
        <= {
            "/webhook",
            "/status",
            "/slack/events",
            "/teams/messages",
        }
    )
    assert {"/webhook", "/status"} <= app_routes()
    for path in paths.values():
        assert path["pathType"] == "Exact"  # /metrics and /health stay inside the cluster
        assert path["backend"]["service"]["name"] == service["metadata"]["name"]


def pod_labels(docs: list[Doc]) -> dict[str, str]:
    labels: dict[str, str] = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def test_single_is_one_pod_on_a_volume_replaced_not_overlapped() -> None:
    docs = render("single")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    data = {v["name"]: v for v in pod(docs)["volumes"]}["data"]
    claim = one(docs, "PersistentVolumeClaim")
    assert data == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]},
    }
    assert not [d for d in docs if d["kind"] in {"HorizontalPodAutoscaler", "PodDisruptionBudget"}]
    env = {e["name"] for e in pod(docs)["containers"][0]["env"]}
    assert "DATABASE_URL" not in env  # SQLite from the config file


def test_scaled_is_autoscaled_on_postgres_and_redis_with_rolling_updates() -> None:
    docs = render("scaled")
    deployment = one(docs, "Deployment")
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the count
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels(docs).items()
    env = {e["name"]: e for e in pod(docs)["containers"][0]["env"]}
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "codechat-secrets", "key": name}
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]


def test_a_broken_manifest_is_caught_by_the_schema_check() -> None:
    """The check run by make lint refuses what a cluster would refuse."""
    deployment = one(render("single"), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["periodSeconds"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
    deployment = one(render("single"), "Deployment")
    deployment["spec"]["strategy"]["typo"] = "Recreate"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
