"""The deployment files a platform team applies: compose, Kubernetes, Strimzi topics."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hub_shared.events import topics
from hub_shared.paths import repo_root
from hub_shared.settings import KafkaSettings, ServiceSettings

ROOT = repo_root()
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("admission-notice", "discharge-ready", "housing-match", "billing")


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _known_env(service: str | None = None) -> set[str]:
    names = {f"HUB_{n.upper()}" for n in ServiceSettings.model_fields}
    names |= {f"HUB_KAFKA_{n.upper()}" for n in KafkaSettings.model_fields}
    if service == "housing-match":
        from housing_match.office.settings import OfficeSettings
        from housing_match.settings import Settings as HousingSettings

        names |= {f"HUB_{n.upper()}" for n in HousingSettings.model_fields}
        names |= {f"HUB_OFFICE_{n.upper()}" for n in OfficeSettings.model_fields}
        names.add("HUB_BILLING_URL")
    return names | {"OTEL_EXPORTER_OTLP_ENDPOINT"}


@pytest.mark.skipif(
    not shutil.which("docker-compose"), reason="docker-compose (Debian package) not installed"
)
def test_compose_file_validates() -> None:
    env = {**os.environ, "HUB_STAY_SECRET": "x" * 32, "HUB_OFFICE_SECRET": "y" * 32}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_every_service_with_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"kafka", "kafka-topics", "postgres", "jaeger", *SERVICES} <= set(compose["services"])
    for name in SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) <= _known_env(name), set(env) - _known_env(name)
        assert env["HUB_DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_every_deployment_has_probes_resources_and_secret_references() -> None:
    for name in SERVICES:
        deployment, service = _documents(K8S / f"{name}.yaml")
        assert deployment["kind"] == "Deployment" and service["kind"] == "Service"
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["resources"]["requests"]["memory"]
        env = {e["name"]: e for e in container["env"]}
        assert "secretKeyRef" in env["HUB_STAY_SECRET"]["valueFrom"]
        assert "secretKeyRef" in env["HUB_DATABASE_URL"]["valueFrom"]
        assert set(env) <= _known_env(name), set(env) - _known_env(name)
    config = _documents(K8S / "config.yaml")[0]
    assert set(config["data"]) <= _known_env()


def test_strimzi_topics_are_the_hubs_topics() -> None:
    declared = {d["metadata"]["name"] for d in _documents(K8S / "topics.yaml")}
    assert declared == set(topics.with_dlqs())
    for doc in _documents(K8S / "topics.yaml"):
        assert doc["kind"] == "KafkaTopic" and doc["spec"]["partitions"] >= 1
        assert "retention.ms" in doc["spec"]["config"]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
