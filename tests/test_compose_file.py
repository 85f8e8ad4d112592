"""infra/docker-compose.kafka.yml: real Kafka (KRaft), Schema Registry and PostgreSQL 16."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "infra" / "docker-compose.kafka.yml"


@cache
def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text()))


def _service(name: str) -> dict[str, Any]:
    return dict(_compose()["services"][name])


def _env(name: str) -> dict[str, str]:
    return {k: str(v) for k, v in _service(name)["environment"].items()}


def _host_ports(name: str) -> set[int]:
    return {int(str(port).split(":")[0]) for port in _service(name).get("ports", [])}


def test_the_three_services_exist() -> None:
    assert set(_compose()["services"]) == {"kafka", "schema-registry", "postgres"}


def test_kafka_runs_in_kraft_mode_with_a_host_listener() -> None:
    kafka = _service("kafka")
    env = _env("kafka")
    assert kafka["image"].startswith(("apache/kafka", "bitnami/kafka"))
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.startswith(f"{node_id}@") and voters.endswith(":9093")
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"]
    assert "zookeeper" not in str(kafka).lower()
    assert "localhost:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = [entry.split("://")[0] for entry in env["KAFKA_LISTENERS"].split(",")]
    assert all(name in protocols for name in listeners)
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"  # a single node
    assert _host_ports("kafka") == {9092}


def test_schema_registry_uses_the_internal_listener() -> None:
    env = _env("schema-registry")
    assert _service("schema-registry")["image"].startswith("confluentinc/cp-schema-registry")
    assert env["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"] == "PLAINTEXT://kafka:19092"
    assert env["SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL"].upper() == "BACKWARD"
    assert "PLAINTEXT://kafka:19092" in _env("kafka")["KAFKA_ADVERTISED_LISTENERS"]
    depends = _service("schema-registry")["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert _host_ports("schema-registry") == {8081}


def test_postgres_16_with_the_crm_database() -> None:
    env = _env("postgres")
    assert _service("postgres")["image"].split(":")[1].startswith("16")
    assert (env["POSTGRES_DB"], env["POSTGRES_USER"]) == ("crm", "crm")
    assert _host_ports("postgres") == {5432}


@pytest.mark.parametrize("name", ["kafka", "schema-registry", "postgres"])
def test_every_service_has_a_healthcheck(name: str) -> None:
    check = _service(name)["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert {"interval", "timeout", "retries"} <= set(check)


def test_header_names_the_environment_for_crm() -> None:
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]
    assert "CRM_KAFKA_BOOTSTRAP=localhost:9092" in header
    assert "CRM_SCHEMA_REGISTRY_URL=http://localhost:8081" in header
    assert "CRM_DATABASE_URL=postgresql+psycopg2://crm:crm@localhost:5432/crm" in header


def _compose_plugin_missing() -> str | None:
    if shutil.which("docker") is None:
        return "docker is not installed"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return None if probe.returncode == 0 else "the docker client has no compose plugin"


def test_docker_compose_accepts_the_file() -> None:
    reason = _compose_plugin_missing()
    if reason:
        pytest.skip(f"`docker compose config` not run: {reason}")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
