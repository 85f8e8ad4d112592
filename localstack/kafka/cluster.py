"""A local Apache Kafka cluster under CRM_HOME/kafka: up, status, stop/start a node, down.

The JVMs outlive the `crm` process that started them, like the embedded stack's servers.
`down` stops them and keeps the data for the next `up`; `down --wipe` deletes it. The
cluster's files and how a new one is formatted: `layout`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

from crm.config import Settings
from localstack.kafka import assemble
from localstack.kafka.layout import (
    Cluster,
    ClusterError,
    create,
    jvm,
    kafka_root,
    load,
    locked,
    properties,
    reassign_ports,
)
from localstack.kafka.nodes import DEFAULT_HEAP, Node, spawn, terminate
from localstack.loopback import port_free

READY_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0


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
    with locked(settings):
        cluster = load(settings)
        if cluster and (cluster.version != version or len(cluster.nodes) != brokers):
            if any(n.alive() for n in cluster.nodes):
                raise ClusterError(
                    f"a {len(cluster.nodes)}-broker Kafka {cluster.version} cluster runs "
                    f"here; `crm kafka down --wipe` it first")
            shutil.rmtree(cluster.root)
            cluster = None
        if cluster is None:
            cluster = create(settings, java, jars, brokers, version, heap)
        stopped = not any(n.alive() for n in cluster.nodes)
        if stopped and not all(port_free(n.port) and port_free(n.controller_port)
                               for n in cluster.nodes):
            reassign_ports(cluster)
        for node in cluster.nodes:
            if not node.alive():
                _start(cluster, node, java, jars)
                cluster.save()  # a failed start later must not lose this pid
    wait_ready(cluster, {n.id for n in cluster.nodes}, timeout)
    return cluster


def start_broker(settings: Settings, node_id: int, timeout: float = READY_TIMEOUT) -> Cluster:
    """Start one stopped node again (same id, ports and data) and wait until it serves."""
    java = assemble.java_binary()
    with locked(settings):
        cluster = _existing(settings)
        node = cluster.node(node_id)
        if not node.alive():
            _start(cluster, node, java, assemble.classpath(cluster.version))
            cluster.save()
    wait_ready(cluster, {node_id}, timeout)
    return cluster


def stop_broker(settings: Settings, node_id: int) -> Cluster:
    """kill -9 one node: no controlled shutdown, as a crash or a pulled plug."""
    with locked(settings):
        cluster = _existing(settings)
        node = cluster.node(node_id)
        if not terminate(node, signal.SIGKILL, STOP_TIMEOUT):
            raise ClusterError(f"broker {node_id} (pid {node.pid}) survived SIGKILL")
        node.pid = node.created = None
        cluster.save()
    return cluster


def down(settings: Settings, wipe: bool = False) -> Cluster | None:
    """Stop every node (SIGTERM: a controlled shutdown; SIGKILL after 30 s)."""
    with locked(settings):
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





def _existing(settings: Settings) -> Cluster:
    cluster = load(settings)
    if cluster is None:
        raise ClusterError(f"no Kafka cluster under {kafka_root(settings)}: "
                           "start one with `crm kafka up`")
    return cluster


def _start(cluster: Cluster, node: Node, java: str, jars: list[Path]) -> None:
    """Launch the node's JVM on its recorded ports."""
    if not (port_free(node.port) and port_free(node.controller_port)):
        raise ClusterError(f"broker {node.id}'s ports {node.port}/{node.controller_port} are "
                           "taken by another process; `crm kafka down`, then `up` again")
    args = [*jvm(cluster, java, jars, cluster.heap), "kafka.Kafka",
            str(properties(cluster, node))]
    node.pid, node.created = spawn(args, cluster.log(node.id))
