"""A local Apache Kafka cluster under CRM_HOME/kafka: up, status, stop/start a node, down.

Layout: `cluster.json` (version, cluster id, heap, nodes with ports and pids),
`node-<id>/server.properties` and `node-<id>/data` (the KRaft log dirs), `logs/node-<id>.log`
(each JVM's output), `log4j2.properties`. The JVMs outlive the `crm` process that started
them, like the embedded stack's servers. `down` stops them and keeps the data for the next
`up`; `down --wipe` deletes it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crm.config import Settings
from crm.kafka import assemble
from crm.kafka.nodes import (
    DEFAULT_HEAP,
    LOG4J2,
    LOOPBACK,
    Node,
    free_ports,
    jvm_args,
    port_free,
    server_properties,
    spawn,
    terminate,
)

READY_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
FORMAT_TIMEOUT = 120.0


class ClusterError(RuntimeError):
    """The cluster is absent, inconsistent, or did not come up in time (names the log)."""


@dataclass
class Cluster:
    """The cluster as `cluster.json` records it."""

    root: Path
    version: str
    cluster_id: str
    heap: str
    nodes: list[Node] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        """Bootstrap servers: every node's client listener."""
        return ",".join(f"{LOOPBACK}:{n.port}" for n in self.nodes)

    def node(self, node_id: int) -> Node:
        """The node with this id (ClusterError if there is none)."""
        for each in self.nodes:
            if each.id == node_id:
                return each
        ids = ", ".join(str(n.id) for n in self.nodes)
        raise ClusterError(f"no broker {node_id} in this cluster (brokers: {ids})")

    def log(self, node_id: int) -> Path:
        """The node's JVM output."""
        return self.root / "logs" / f"node-{node_id}.log"

    def status(self) -> dict[str, Any]:
        """`crm kafka status --json`: bootstrap, version and each broker's id, pid, port."""
        return {
            "bootstrap": self.bootstrap,
            "version": self.version,
            "brokers": [{"id": n.id, "pid": n.pid if n.alive() else None, "port": n.port,
                         "controller_port": n.controller_port, "alive": n.alive(),
                         "log": str(self.log(n.id))} for n in self.nodes],
        }

    def save(self) -> None:
        """Write cluster.json atomically."""
        data = {"version": self.version, "cluster_id": self.cluster_id, "heap": self.heap,
                "nodes": [asdict(n) for n in self.nodes]}
        tmp = self.root / "cluster.json.tmp"
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.root / "cluster.json")


def kafka_root(settings: Settings) -> Path:
    """CRM_HOME/kafka."""
    return settings.home / "kafka"


def load(settings: Settings) -> Cluster | None:
    """The cluster recorded under CRM_HOME, or None if there is none."""
    root = kafka_root(settings)
    try:
        data = json.loads((root / "cluster.json").read_text())
    except (OSError, ValueError):
        return None
    return Cluster(root, data["version"], data["cluster_id"], data["heap"],
                   [Node(**n) for n in data["nodes"]])


def up(settings: Settings, brokers: int = 3, version: str = assemble.DEFAULT_VERSION,
       heap: str = DEFAULT_HEAP, timeout: float = READY_TIMEOUT) -> Cluster:
    """Start the cluster (creating and formatting it first if new); idempotent.

    An existing cluster of another size or version is refused while any of its nodes
    runs; once stopped, it is replaced (its data wiped) by the one asked for.
    """
    if brokers < 1:
        raise ClusterError("--brokers must be at least 1")
    java = assemble.java_binary()
    jars = assemble.classpath(assemble.check_version(version))
    with _locked(settings):
        cluster = load(settings)
        if cluster and (cluster.version != version or len(cluster.nodes) != brokers):
            if any(n.alive() for n in cluster.nodes):
                raise ClusterError(
                    f"a {len(cluster.nodes)}-broker Kafka {cluster.version} cluster runs "
                    f"here; `crm kafka down --wipe` it first")
            shutil.rmtree(cluster.root)
            cluster = None
        if cluster is None:
            cluster = _create(settings, java, jars, brokers, version, heap)
        stopped = not any(n.alive() for n in cluster.nodes)
        if stopped and not all(port_free(n.port) and port_free(n.controller_port)
                               for n in cluster.nodes):
            _reassign_ports(cluster)
        for node in cluster.nodes:
            if not node.alive():
                _start(cluster, node, java, jars)
                cluster.save()  # a failed start later must not lose this pid
    wait_ready(cluster, {n.id for n in cluster.nodes}, timeout)
    return cluster


def start_broker(settings: Settings, node_id: int, timeout: float = READY_TIMEOUT) -> Cluster:
    """Start one stopped node again (same id, ports and data) and wait until it serves."""
    java = assemble.java_binary()
    with _locked(settings):
        cluster = _existing(settings)
        node = cluster.node(node_id)
        if not node.alive():
            _start(cluster, node, java, assemble.classpath(cluster.version))
            cluster.save()
    wait_ready(cluster, {node_id}, timeout)
    return cluster


def stop_broker(settings: Settings, node_id: int) -> Cluster:
    """kill -9 one node: no controlled shutdown, as a crash or a pulled plug."""
    with _locked(settings):
        cluster = _existing(settings)
        node = cluster.node(node_id)
        if not terminate(node, signal.SIGKILL, STOP_TIMEOUT):
            raise ClusterError(f"broker {node_id} (pid {node.pid}) survived SIGKILL")
        node.pid = node.created = None
        cluster.save()
    return cluster


def down(settings: Settings, wipe: bool = False) -> Cluster | None:
    """Stop every node (SIGTERM: a controlled shutdown; SIGKILL after 30 s)."""
    with _locked(settings):
        cluster = load(settings)
        if cluster is None:
            return None
        for node in cluster.nodes:  # signal all first: they shut down in parallel
            if node.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid or 0, signal.SIGTERM)
        for node in cluster.nodes:
            if not terminate(node, signal.SIGTERM, STOP_TIMEOUT):
                terminate(node, signal.SIGKILL, STOP_TIMEOUT)
            node.pid = node.created = None
        if wipe:
            shutil.rmtree(cluster.root)
        else:
            cluster.save()
        return cluster


def wait_ready(cluster: Cluster, node_ids: set[int], timeout: float) -> None:
    """Wait until the cluster's metadata lists every node in `node_ids` as a live broker."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap, "log_level": 0})
    deadline = time.monotonic() + timeout
    while True:
        for node_id in node_ids:
            if not cluster.node(node_id).alive():
                raise ClusterError(f"broker {node_id} exited; see {cluster.log(node_id)}")
        try:
            if node_ids <= set(admin.list_topics(timeout=5.0).brokers):
                return
        except KafkaException:
            pass
        if time.monotonic() > deadline:
            logs = ", ".join(str(cluster.log(i)) for i in sorted(node_ids))
            raise ClusterError(f"Kafka brokers {sorted(node_ids)} not ready within "
                               f"{timeout:.0f}s; see {logs}")
        time.sleep(0.5)


# -- internals ------------------------------------------------------------------------------


def _existing(settings: Settings) -> Cluster:
    cluster = load(settings)
    if cluster is None:
        raise ClusterError(f"no Kafka cluster under {kafka_root(settings)}: "
                           "start one with `crm kafka up`")
    return cluster


def _create(settings: Settings, java: str, jars: list[Path], brokers: int, version: str,
            heap: str) -> Cluster:
    """Write every node's settings and format its storage (in parallel: JVM starts are slow)."""
    root = kafka_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    (root / "log4j2.properties").write_text(LOG4J2)
    ports = free_ports(2 * brokers)
    nodes = [Node(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(brokers)]
    cluster = Cluster(root, version, cluster_id(), heap, nodes)
    formats = []
    for node in nodes:
        _write_properties(cluster, node)
        args = [*_jvm(cluster, java, jars, "256m", tool=True), "kafka.tools.StorageTool", "format",
                "-t", cluster.cluster_id, "-c", str(_properties(cluster, node)),
                "--ignore-formatted"]
        formats.append((node, subprocess.Popen(args, stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, text=True)))
    for node, proc in formats:
        out, _ = proc.communicate(timeout=FORMAT_TIMEOUT)
        if proc.returncode != 0:
            raise ClusterError(f"formatting node {node.id}'s storage failed:\n{out.strip()}")
    cluster.save()
    return cluster


def _start(cluster: Cluster, node: Node, java: str, jars: list[Path]) -> None:
    """Launch the node's JVM on its recorded ports."""
    if not (port_free(node.port) and port_free(node.controller_port)):
        raise ClusterError(f"broker {node.id}'s ports {node.port}/{node.controller_port} are "
                           "taken by another process; `crm kafka down`, then `up` again")
    args = [*_jvm(cluster, java, jars, cluster.heap), "kafka.Kafka",
            str(_properties(cluster, node))]
    node.pid, node.created = spawn(args, cluster.log(node.id))


def _reassign_ports(cluster: Cluster) -> None:
    """New ports for a stopped cluster whose old ones were taken meanwhile (all at once:
    every node's settings name every controller's port)."""
    ports = free_ports(2 * len(cluster.nodes))
    for i, node in enumerate(cluster.nodes):
        node.port, node.controller_port = ports[2 * i], ports[2 * i + 1]
    for node in cluster.nodes:
        _write_properties(cluster, node)


def _jvm(cluster: Cluster, java: str, jars: list[Path], heap: str,
         tool: bool = False) -> list[str]:
    return jvm_args(java, os.pathsep.join(str(j) for j in jars), heap,
                    cluster.root / "log4j2.properties", tool)


def _properties(cluster: Cluster, node: Node) -> Path:
    return cluster.root / f"node-{node.id}" / "server.properties"


def _write_properties(cluster: Cluster, node: Node) -> None:
    path = _properties(cluster, node)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(server_properties(node, cluster.nodes, path.parent / "data"))


def cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Never one starting with "-" (as Kafka's own Uuid.randomUuid): the storage tool would
    read it as an option and refuse to format.
    """
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    root = kafka_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with open(settings.home / ".kafka.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield
