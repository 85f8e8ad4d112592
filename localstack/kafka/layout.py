"""The local Apache Kafka cluster's files under CRM_HOME/kafka, and how a new one is made.

Layout: `cluster.json` (version, cluster id, heap, nodes with ports and pids),
`node-<id>/server.properties` and `node-<id>/data` (the KRaft log dirs), `logs/node-<id>.log`
(each JVM's output), `log4j2.properties`. `cluster` runs the JVMs on it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crm.config import Settings
from localstack.kafka.nodes import LOG4J2, Node, jvm_args, server_properties
from localstack.loopback import LOOPBACK, free_ports

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

    def active_controller(self) -> int | None:
        """The id of the active KRaft controller (the metadata quorum's leader), or None
        while there is none (an election under way, no node running).

        Clients cannot ask for it: in KRaft a broker answers Metadata and DescribeCluster
        with a random live broker as "controller". Each node persists the quorum's leader
        and epoch in `__cluster_metadata-0/quorum-state` at every election; the running
        nodes' newest epoch names the leader (a killed node's file still names itself).
        """
        newest: tuple[int, int] | None = None
        for node in self.nodes:
            if not node.alive():
                continue
            try:
                state = json.loads((self.data(node.id) / "__cluster_metadata-0"
                                    / "quorum-state").read_text())
                epoch, leader = int(state["leaderEpoch"]), int(state["leaderId"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not written yet, or being replaced
            if newest is None or epoch > newest[0]:
                newest = (epoch, leader)
        if newest is None or newest[1] < 0:
            return None
        return newest[1]

    def data(self, node_id: int) -> Path:
        """The node's KRaft log dir."""
        return self.root / f"node-{node_id}" / "data"

    def status(self) -> dict[str, Any]:
        """`crm kafka status --json`: bootstrap, version, the active controller's id and
        each broker's id, pid, port."""
        return {
            "bootstrap": self.bootstrap,
            "version": self.version,
            "controller": self.active_controller(),
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


def create(settings: Settings, java: str, jars: list[Path], brokers: int, version: str,
            heap: str) -> Cluster:
    """A new cluster: write every node's settings and format its storage (in parallel:
    JVM starts are slow)."""
    root = kafka_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    (root / "log4j2.properties").write_text(LOG4J2)
    ports = free_ports(2 * brokers)
    nodes = [Node(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(brokers)]
    cluster = Cluster(root, version, cluster_id(), heap, nodes)
    formats = []
    for node in nodes:
        writeproperties(cluster, node)
        args = [*jvm(cluster, java, jars, "256m", tool=True), "kafka.tools.StorageTool", "format",
                "-t", cluster.cluster_id, "-c", str(properties(cluster, node)),
                "--ignore-formatted"]
        formats.append((node, subprocess.Popen(args, stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, text=True)))
    for node, proc in formats:
        out, _ = proc.communicate(timeout=FORMAT_TIMEOUT)
        if proc.returncode != 0:
            raise ClusterError(f"formatting node {node.id}'s storage failed:\n{out.strip()}")
    cluster.save()
    return cluster


def reassign_ports(cluster: Cluster) -> None:
    """New ports for a stopped cluster whose old ones were taken meanwhile (all at once:
    every node's settings name every controller's port)."""
    ports = free_ports(2 * len(cluster.nodes))
    for i, node in enumerate(cluster.nodes):
        node.port, node.controller_port = ports[2 * i], ports[2 * i + 1]
    for node in cluster.nodes:
        writeproperties(cluster, node)


def jvm(cluster: Cluster, java: str, jars: list[Path], heap: str,
        tool: bool = False) -> list[str]:
    """The java command line of a node (or, with `tool`, of a Kafka tool) of this cluster."""
    return jvm_args(java, os.pathsep.join(str(j) for j in jars), heap,
                    cluster.root / "log4j2.properties", tool)


def properties(cluster: Cluster, node: Node) -> Path:
    """The node's server.properties."""
    return cluster.root / f"node-{node.id}" / "server.properties"


def writeproperties(cluster: Cluster, node: Node) -> None:
    path = properties(cluster, node)
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
def locked(settings: Settings) -> Iterator[None]:
    """Hold CRM_HOME/.kafka.lock: one `crm kafka` command changes the cluster at a time."""
    root = kafka_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with open(settings.home / ".kafka.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield
