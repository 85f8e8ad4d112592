"""`crm kafka` without a cluster: the Java check, the jar cache, the brokers' settings.

Fast (no JVM starts): these run in `make test-fast`; the cluster itself is proven in
tests/test_apache_kafka.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm.cli import app
from localstack.kafka import assemble, layout
from localstack.kafka.nodes import COMPOSE_SETTINGS, Node, server_properties


def fake_java(tmp_path: Path, version_line: str) -> Path:
    """A JAVA_HOME whose bin/java prints `version_line` as `java -version` does (stderr)."""
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(0o755)
    return java.parent.parent


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_without_java_kafka_up_names_what_to_install_and_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()

    result = CliRunner().invoke(app, ["kafka", "up"], env={
        "JAVA_HOME": "", "PATH": str(empty), "CRM_HOME": str(tmp_path / "home")})

    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "no Java found" in message
    assert "openjdk-17-jre-headless" in message
    assert "embedded broker (Tansu)" in message
    assert not (tmp_path / "home" / "kafka" / "cluster.json").exists()


def test_java_older_than_17_is_refused_with_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, 'openjdk version "11.0.22"')))

    with pytest.raises(assemble.KafkaUnavailable, match="is Java 11; Kafka 4 brokers need"):
        assemble.java_binary()
    assert assemble.java_available() is False


def test_java_major_reads_both_version_schemes(tmp_path: Path) -> None:
    old = fake_java(tmp_path / "a", 'java version "1.8.0_292"') / "bin" / "java"
    new = fake_java(tmp_path / "b", 'openjdk version "17.0.15" 2025-04-15') / "bin" / "java"

    assert assemble.java_major(str(old)) == 8
    assert assemble.java_major(str(new)) == 17


def test_only_kafka_4_releases_are_accepted() -> None:
    assert assemble.check_version("4.1.1") == "4.1.1"
    for wrong in ("3.9.1", "4.1", "latest", "4.1.1; rm -rf /"):
        with pytest.raises(assemble.KafkaUnavailable, match="not supported"):
            assemble.check_version(wrong)


def test_a_cached_classpath_needs_no_maven_and_a_vanished_jar_asks_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    jars = [tmp_path / "kafka_2.13-4.1.1.jar", tmp_path / "kafka-clients-4.1.1.jar"]
    for jar in jars:
        jar.write_bytes(b"PK")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "kafka-4.1.1.classpath").write_text(":".join(map(str, jars)))
    monkeypatch.setenv("CRM_KAFKA_CACHE", str(cache))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))

    assert assemble.classpath("4.1.1") == jars

    jars[1].unlink()  # e.g. ~/.m2 cleaned: Maven must fetch again, and there is none
    with pytest.raises(assemble.KafkaUnavailable, match="no Maven"):
        assemble.classpath("4.1.1")


def test_three_nodes_replicate_on_three_with_two_in_sync_on_loopback(tmp_path: Path) -> None:
    nodes = [Node(1, 9001, 9101), Node(2, 9002, 9102), Node(3, 9003, 9103)]

    conf = props(server_properties(nodes[1], nodes, tmp_path / "data"))

    assert conf["node.id"] == "2"
    assert conf["process.roles"] == "broker,controller"
    assert conf["controller.quorum.voters"] == \
        "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103"
    assert conf["listeners"] == "PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102"
    assert conf["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9002"
    assert conf["log.dirs"] == str(tmp_path / "data")
    assert (conf["default.replication.factor"], conf["min.insync.replicas"]) == ("3", "2")
    assert conf["offsets.topic.replication.factor"] == "3"
    assert conf["transaction.state.log.min.isr"] == "2"
    assert conf["log.retention.ms"] == "-1"
    assert conf["unclean.leader.election.enable"] == "false"


def test_a_single_node_cluster_replicates_once_and_needs_one_in_sync(tmp_path: Path) -> None:
    node = Node(1, 9001, 9101)

    conf = props(server_properties(node, [node], tmp_path))

    assert (conf["default.replication.factor"], conf["min.insync.replicas"]) == ("1", "1")
    assert conf["transaction.state.log.replication.factor"] == "1"


def test_status_without_a_cluster_says_so_and_exits_1(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CRM_HOME": str(tmp_path)}

    as_json = runner.invoke(app, ["kafka", "status", "--json"], env=env)
    stopped = runner.invoke(app, ["kafka", "stop", "--broker", "1"], env=env)

    assert as_json.exit_code == 1
    assert json.loads(as_json.output) == {"bootstrap": None, "brokers": []}
    assert stopped.exit_code == 2
    assert "no Kafka cluster" in stopped.output


def test_cluster_ids_are_22_characters_and_never_start_with_a_dash() -> None:
    # one in 64 random ids starts with "-", which the storage tool takes for an option
    ids = [layout.cluster_id() for _ in range(2000)]

    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
    assert len(set(ids)) == 2000


def test_the_compose_file_runs_the_tested_version_with_the_tested_settings(
    tmp_path: Path,
) -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((Path(__file__).resolve().parents[1] / "infra"
                              / "docker-compose.kafka.yml").read_text())
    kafka = compose["services"]["kafka"]
    env = {k: str(v) for k, v in kafka["environment"].items()}
    node = Node(1, 9092, 9093)
    ours = props(server_properties(node, [node], tmp_path))

    assert kafka["image"] == f"apache/kafka:{assemble.DEFAULT_VERSION}"
    for key in COMPOSE_SETTINGS:
        name = "KAFKA_" + key.upper().replace(".", "_")
        assert env.get(name) == ours[key], f"{name} differs from `crm kafka up --brokers 1`"
