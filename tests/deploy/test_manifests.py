"""deploy/: every Kubernetes manifest is valid against the Kubernetes JSON schemas (offline: the
schemas ship inside the kubernetes-validate package), and says what production needs: probes,
resources, a PodDisruptionBudget, a locked-down securityContext, secrets from files, the image and
commands of the Dockerfile and docker-compose.yml, and only setting names stepline reads."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy import names
from tests.test_compose import API_COMMAND, SERVICES, WORKER_METRICS_PORT, default

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30"
HELM_VALUES = DEPLOY / "temporal-values.yaml"
UID = 10001  # the Dockerfile's `stepline` user


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _kustomizations() -> list[Path]:
    return sorted(DEPLOY.rglob("kustomization.yaml"))


def _patches() -> set[Path]:
    """Files a kustomization applies as patches: partial objects, checked once built."""
    found = set()
    for path in _kustomizations():
        for patch in _documents(path)[0].get("patches", []):
            if "path" in patch:
                found.add((path.parent / patch["path"]).resolve())
    return found


def _manifest_files() -> list[Path]:
    skip = {HELM_VALUES.resolve(), *map(Path.resolve, _kustomizations()), *_patches()}
    return sorted(p for p in DEPLOY.rglob("*.yaml") if p.resolve() not in skip)


MANIFEST_FILES = _manifest_files()
OBJECTS = [(path, doc) for path in MANIFEST_FILES for doc in _documents(path)]


def _kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in OBJECTS if doc["kind"] == kind]


DEPLOYMENTS = {doc["metadata"]["name"]: doc for doc in _kind("Deployment")}
CONFIG = {doc["metadata"]["name"]: doc for doc in _kind("ConfigMap")}["stepline-config"]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in _container(deployment)["env"]}


def _id(path: Path, doc: dict[str, Any]) -> str:
    return f"{path.relative_to(DEPLOY)}:{doc['kind']}/{doc['metadata']['name']}"


def test_the_manifests_are_found() -> None:
    assert set(DEPLOYMENTS) == {"stepline-api", "stepline-worker"}
    assert len(_kind("PodDisruptionBudget")) == 2
    assert {doc["metadata"]["name"] for doc in _kind("Service")} >= {"stepline-api"}


@pytest.mark.parametrize(("path", "doc"), OBJECTS, ids=[_id(p, d) for p, d in OBJECTS])
def test_valid_against_the_kubernetes_schema(path: Path, doc: dict[str, Any]) -> None:
    # strict: a misspelt or misplaced field is an error, not ignored
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize(("path", "doc"), OBJECTS, ids=[_id(p, d) for p, d in OBJECTS])
def test_namespace_agnostic(path: Path, doc: dict[str, Any]) -> None:
    assert "namespace" not in doc["metadata"]


def test_every_kustomization_lists_files_that_exist() -> None:
    for path in _kustomizations():
        (kustomization,) = _documents(path)
        assert kustomization["kind"] == "Kustomization"
        for resource in kustomization.get("resources", []):
            assert (path.parent / resource).exists(), (path, resource)
        for patch in kustomization.get("patches", []):
            assert (path.parent / patch["path"]).is_file(), (path, patch)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_probes(name: str) -> None:
    container = _container(DEPLOYMENTS[name])
    port = {p["name"]: p["containerPort"] for p in container["ports"]}
    expected = {"stepline-api": 8000, "stepline-worker": int(WORKER_METRICS_PORT)}[name]
    paths = {}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        check = container[probe]["httpGet"]
        assert port[check["port"]] == expected, (name, probe)
        paths[probe] = check["path"]
    assert paths == {
        "livenessProbe": "/healthz",  # alive: never the database's or Temporal's state
        # the API takes webhooks while Temporal is away (the outbox): no Temporal in its
        # readiness, or an outage would take every API pod out of the Service
        "readinessProbe": "/readyz?exclude=temporal" if name == "stepline-api" else "/readyz",
        "startupProbe": "/healthz",
    }
    # /readyz's checks take up to 2 s each, at the same time
    assert container["readinessProbe"]["timeoutSeconds"] > 2


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_resources(name: str) -> None:
    resources = _container(DEPLOYMENTS[name])["resources"]
    for bound in ("requests", "limits"):
        assert set(resources[bound]) == {"cpu", "memory"}, (name, bound)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_security_context(name: str) -> None:
    spec = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == UID
    assert spec["automountServiceAccountToken"] is False
    container = _container(DEPLOYMENTS[name])["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"]["drop"] == ["ALL"]
    # the one writable place: /tmp, an emptyDir
    mounts = {m["mountPath"]: m["name"] for m in _container(DEPLOYMENTS[name])["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_a_disruption_budget_selects_it(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    budgets = [
        pdb
        for pdb in _kind("PodDisruptionBudget")
        if pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert len(budgets) == 1, name
    assert (
        deployment["spec"]["selector"]["matchLabels"]
        == budgets[0]["spec"]["selector"]["matchLabels"]
    )
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_replicas() -> None:
    assert DEPLOYMENTS["stepline-api"]["spec"]["replicas"] == 2
    assert DEPLOYMENTS["stepline-worker"]["spec"]["replicas"] == 3


def test_the_api_service_reaches_the_api_pods() -> None:
    (service,) = [s for s in _kind("Service") if s["metadata"]["name"] == "stepline-api"]
    labels = DEPLOYMENTS["stepline-api"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_images_and_commands_are_the_dockerfiles_and_composes() -> None:
    compose_image = default(SERVICES["api"]["image"])
    for name, service in (("stepline-api", "api"), ("stepline-worker", "worker")):
        container = _container(DEPLOYMENTS[name])
        assert container["image"] == compose_image
        assert container["command"] == [str(part) for part in SERVICES[service]["command"]]
    assert _container(DEPLOYMENTS["stepline-api"])["command"] == API_COMMAND
    (base,) = _documents(DEPLOY / "base" / "kustomization.yaml")
    assert [image["name"] for image in base["images"]] == [compose_image.split(":")[0]]


def test_graceful_stop_fits_in_the_termination_grace_periods() -> None:
    api = DEPLOYMENTS["stepline-api"]["spec"]["template"]["spec"]
    timeout = int(API_COMMAND[API_COMMAND.index("--timeout-graceful-shutdown") + 1])
    pre_stop = int(
        _container(DEPLOYMENTS["stepline-api"])["lifecycle"]["preStop"]["exec"]["command"][1]
    )
    assert api["terminationGracePeriodSeconds"] >= pre_stop + timeout + 10
    worker = DEPLOYMENTS["stepline-worker"]["spec"]["template"]["spec"]
    grace = float(_env(DEPLOYMENTS["stepline-worker"])["STEPLINE_WORKER_GRACE_SECONDS"])
    assert worker["terminationGracePeriodSeconds"] >= grace + 10


def test_the_worker_serves_its_probes_on_the_pod_network() -> None:
    env = _env(DEPLOYMENTS["stepline-worker"])
    assert env["STEPLINE_WORKER_METRICS_PORT"] == WORKER_METRICS_PORT
    assert env["STEPLINE_WORKER_METRICS_HOST"] == "0.0.0.0"


def test_the_worker_push_rate_shares_the_channel_rate() -> None:
    workers = DEPLOYMENTS["stepline-worker"]["spec"]["replicas"]
    channel = float(CONFIG["data"]["STEPLINE_PUSH_RATE"])
    share = float(_env(DEPLOYMENTS["stepline-worker"])["STEPLINE_WORKER_PUSH_RATE"])
    assert share * workers <= channel


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_secrets_come_from_mounted_files(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    container = _container(deployment)
    env = _env(deployment)
    assert not any("valueFrom" in item for item in container["env"]), "no secret in env values"
    assert not set(env) & names.SECRETS, "a secret's value in the environment"
    assert not set(CONFIG["data"]) & names.SECRETS, "a secret in the ConfigMap"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    files = {n: v for n, v in env.items() if n.endswith(names.FILE_SUFFIX)}
    assert files, name
    for variable, path in files.items():
        assert names.setting_of(variable) in names.SECRETS, variable
        folder, _, key = path.rpartition("/")
        secret = volumes[mounts[folder]]["secret"]
        assert mounts[folder] and all(
            m.get("readOnly") for m in container["volumeMounts"] if m["mountPath"] == folder
        )
        items = secret.get("items")
        assert items is None or key in {item["path"] for item in items}, (variable, path)
        assert secret["defaultMode"] == 0o440


def test_the_worker_is_not_given_the_apis_secrets() -> None:
    env = _env(DEPLOYMENTS["stepline-worker"])
    for name in ("LINE_CHANNEL_SECRET", "STEPLINE_ADMIN_TOKEN", "STEPLINE_METRICS_TOKEN"):
        assert name + names.FILE_SUFFIX not in env


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_variable_is_a_setting_stepline_reads(name: str) -> None:
    given = set(_env(DEPLOYMENTS[name])) | set(CONFIG["data"])
    unknown = given - names.accepted()
    assert not unknown, f"no stepline process reads {sorted(unknown)}"
    assert {names.setting_of(n) for n in given} <= names.ALL


def test_example_secrets_hold_every_key_the_pods_mount() -> None:
    examples = {
        doc["metadata"]["name"]: set(doc["stringData"])
        for doc in _documents(DEPLOY / "secret.example.yaml")
    }
    for deployment in DEPLOYMENTS.values():
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            secret = volume.get("secret")
            if secret:
                keys = {item["key"] for item in secret.get("items", [])}
                assert keys <= examples[secret["secretName"]], (volume["name"], keys)


def test_temporal_values_for_the_helm_chart() -> None:
    values = yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))
    server = values["server"]
    assert server["image"]["tag"] == default(SERVICES["temporal"]["image"]).split(":")[1]
    persistence = server["config"]["persistence"]
    for store, database in (("default", "temporal"), ("visibility", "temporal_visibility")):
        assert persistence[store]["driver"] == "sql"
        assert persistence[store]["sql"]["driver"] == "postgres12"
        assert persistence[store]["sql"]["database"] == database
    assert server["config"]["tls"]["frontend"]["server"]["requireClientAuth"] is True
    assert (
        server["config"]["tls"]["frontend"]["client"]["serverName"]
        == CONFIG["data"]["STEPLINE_TEMPORAL_TLS_SERVER_NAME"]
    )
    for dependency in ("elasticsearch", "cassandra", "mysql", "prometheus", "grafana"):
        assert values[dependency]["enabled"] is False, dependency
    assert all(values["schema"][step]["enabled"] for step in ("createDatabase", "setup", "update"))
    (job,) = values["extraObjects"]
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    namespace = {
        e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert namespace["NAMESPACE"] == CONFIG["data"]["STEPLINE_TEMPORAL_NAMESPACE"]
    assert "temporal operator namespace create" in script and "--type Keyword" in script
    for attribute in ("StepScenarioId", "StepLineUserId", "StepStatus", "StepCurrent"):
        assert attribute in script


def _kubectl() -> str | None:
    return shutil.which("kubectl")


@pytest.mark.skipif(_kubectl() is None, reason="kubectl (its built-in kustomize) is not installed")
@pytest.mark.parametrize("overlay", ["", "temporal-cloud"])
def test_kustomize_builds_and_the_result_is_valid(overlay: str) -> None:
    built = subprocess.run(
        [_kubectl() or "kubectl", "kustomize", str(DEPLOY / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    docs = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert {doc["kind"] for doc in docs} == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    }
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "stepline"
    if overlay == "temporal-cloud":
        for doc in docs:
            text = yaml.safe_dump(doc)
            assert "temporal-tls" not in text and "STEPLINE_TEMPORAL_TLS_CA" not in text
            if doc["kind"] == "Deployment":
                env = {
                    e["name"]: e["value"]
                    for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]
                }
                assert env["STEPLINE_TEMPORAL_API_KEY_FILE"].endswith("/temporal-api-key")
