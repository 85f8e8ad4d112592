"""One node of the local Apache Kafka cluster: its settings, its JVM, its liveness.

Every node is a combined KRaft controller+broker (`process.roles=broker,controller`) on two
loopback ports, with a static controller quorum of all nodes. Replication settings follow
the cluster size: replication factor min(3, N), `min.insync.replicas` min(2, N), so a
3-node cluster keeps accepting `acks=all` writes with one node down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from localstack.children import process_alive, track_child
from localstack.loopback import LOOPBACK

# Heap per broker: three of them, a PostgreSQL, the workers and the tests share 24 GB and
# two cores; a broker holding a CRM's topics in the page cache needs little heap.
DEFAULT_HEAP = "512m"

LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
"""


@dataclass
class Node:
    """A node's identity and whereabouts, as `cluster.json` keeps them."""

    id: int
    port: int
    controller_port: int
    pid: int | None = None
    created: float | None = None

    def alive(self) -> bool:
        """Is this node's JVM running (the pid, still a `java` started at `created`)?"""
        return process_alive(self.pid, "java", self.created)


# The settings infra/docker-compose.kafka.yml must share with these clusters (a test
# compares them for one node): what the data's safety and the CRM's behaviour depend on;
# listeners, paths and thread counts are the deployment's own.
COMPOSE_SETTINGS = (
    "num.partitions", "default.replication.factor", "min.insync.replicas",
    "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
    "share.coordinator.state.topic.min.isr", "log.retention.ms",
    "group.initial.rebalance.delay.ms", "unclean.leader.election.enable",
)


def server_properties(node: Node, nodes: list[Node], data_dir: Path) -> str:
    """The node's server.properties (KRaft combined mode, loopback only)."""
    n = len(nodes)
    rf, min_isr = min(3, n), min(2, n)
    voters = ",".join(f"{x.id}@{LOOPBACK}:{x.controller_port}" for x in nodes)
    settings = {
        "process.roles": "broker,controller",
        "node.id": node.id,
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{LOOPBACK}:{node.port},CONTROLLER://{LOOPBACK}:"
                     f"{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": 3,
        "default.replication.factor": rf,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": rf,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": rf,
        "share.coordinator.state.topic.min.isr": min_isr,
        "log.retention.ms": -1,  # the log is the source of truth (as in the compose file)
        "group.initial.rebalance.delay.ms": 0,
        "unclean.leader.election.enable": "false",
        # two cores for everything: fewer threads than Kafka's server-class defaults
        "num.network.threads": 2,
        "num.io.threads": 4,
        "background.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "num.replica.fetchers": 1,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def jvm_args(java: str, classpath: str, heap: str, log4j: Path, tool: bool = False) -> list[str]:
    """The JVM command line up to the main class (as Kafka's start scripts, smaller).

    `tool`: a short-lived command (storage format), started with the quick JIT and the
    serial collector: it starts faster and leaves the cores to the brokers.
    """
    gc = (["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] if tool
          else ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"])
    return [java, f"-Xms{_half(heap)}", f"-Xmx{heap}", *gc, "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]


def spawn(args: list[str], log: Path) -> tuple[int, float]:
    """Start a JVM in its own session (a Ctrl-C in the caller's terminal spares it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    track_child(proc)
    return proc.pid, psutil.Process(proc.pid).create_time()


def terminate(node: Node, sig: signal.Signals, timeout: float) -> bool:
    """Send `sig` to the node's JVM (if it is still ours) and wait up to `timeout` s for it
    to die; returns True once it is gone."""
    if not node.alive():
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(node.pid or 0, sig)
    deadline = time.monotonic() + timeout
    while node.alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _half(heap: str) -> str:
    """Initial heap: half the maximum (so an idle broker does not claim all of it)."""
    digits, unit = heap[:-1], heap[-1:].lower()
    if unit in "kmg" and digits.isdigit():
        return f"{max(1, int(digits) // 2)}{unit}"
    return heap
