"""The live pipeline of tests/test_kafka_failover.py: a simulator feeding `crm.commands` at
a steady rate, the workers as real `crm run` processes, and what the test reads back.

Everything here runs against the session's Apache Kafka cluster (tests/kafka_support.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from backfill.run import simulation_factory
from domain.kernel.messages import Message, utc
from events.codec import AvroCodec
from events.topics import COMMANDS, CUSTOMER_MASTERS, ERP_REPLIES, SALES_ORDERS
from processors.core import CoreProcessor
from producers.kafka import producer_config

ERP_GROUP = "erp-simulator"  # operations/erp_worker.py's group
Partition = tuple[str, int]
Log = dict[Partition, list[tuple[int, bytes, bytes]]]  # (offset, key, value) in order


def live_inputs(seed: int, scale: float) -> Iterator[Message]:
    """The business simulation's inputs, 30 simulated minutes at a time, as `crm simulate`
    submits them (a shadow core tells the simulation what its inputs derived). The ERP's
    answers are not simulated in process: the stand-in ERP worker sends them and the
    core's bridge brings them into `crm.commands`, as in production."""
    core = CoreProcessor()
    start = utc(2026, 1, 1)
    sim = simulation_factory("business")(seed, start, scale, erp_in_process=False)
    cycle: list[Message] = []

    def submit(message: Message) -> list[Any]:
        cycle.append(message)
        return core.process(message)

    n = 0
    while True:
        n += 1
        sim.cycle(start + timedelta(minutes=30 * n), submit)
        yield from cycle
        cycle.clear()


class Feeder(threading.Thread):
    """Publishes the live simulation's inputs to `crm.commands`: the first `preload` at
    once (the business's go-live and first days, so that quotes reach the ERP during the
    run), then `rate` a second, with the CLI's durable producer settings (idempotent,
    acks=all, no message timeout), until `stop()`; remembers each input's offset
    (delivery reports) and any delivery error."""

    def __init__(self, bootstrap: str, rate: float, preload: int = 0, seed: int = 11,
                 scale: float = 0.3) -> None:
        super().__init__(daemon=True, name="feeder")
        self.bootstrap, self.rate, self.preload = bootstrap, rate, preload
        self.inputs = live_inputs(seed, scale)
        self.codec = AvroCodec()
        self.sent: list[str] = []  # event ids, in the order produced
        self.offsets: dict[int, int] = {}  # input number -> offset on crm.commands
        self.errors: list[str] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        """Stop producing; `join` returns once every input produced is delivered."""
        self._halt.set()

    @property
    def count(self) -> int:
        return len(self.sent)

    def offset_of(self, number: int) -> int | None:
        """Where input `number` (0-based) landed, once the broker acknowledged it."""
        return self.offsets.get(number)

    def run(self) -> None:
        producer = Producer({**producer_config(self.bootstrap), "log_level": 0})
        started = time.monotonic()
        for message in self.inputs:
            due = started + max(0, len(self.sent) - self.preload) / self.rate
            if self._halt.wait(max(0.0, due - time.monotonic())):
                break
            number = len(self.sent)
            producer.produce(COMMANDS, key=message.aggregate_id.encode(),
                             value=self.codec.encode(message), partition=0,
                             on_delivery=partial(self._delivered, number))
            self.sent.append(message.event_id)
            producer.poll(0)
        while producer.flush(1.0):  # message.timeout.ms=0: each input is delivered
            pass

    def _delivered(self, number: int, error: Any, message: Any) -> None:
        if error is not None:
            self.errors.append(f"input {number}: {error}")
        else:
            self.offsets[number] = message.offset()


@dataclass
class Workers:
    """`crm run --role ...` processes on the cluster, each logging to a file of its own."""

    home: Path
    bootstrap: str
    database_url: str
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, role: str, name: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "CRM_HOME": str(self.home), "CRM_KAFKA_BOOTSTRAP": self.bootstrap,
               "CRM_DATABASE_URL": self.database_url}
        env.pop("CRM_PROCESSING_GUARANTEE", None)  # auto: exactly once on Apache Kafka
        with self.log(name).open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", role],
                                    env=env, stdout=out, stderr=subprocess.STDOUT)
        self.running[name] = proc
        return proc

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def kill(self, name: str) -> None:
        """kill -9: no commit, no leaving the group."""
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def dead(self) -> list[str]:
        """Workers that exited by themselves, with their log's tail."""
        return [f"{name} exited {p.returncode}:\n{self.log(name).read_text()[-3000:]}"
                for name, p in self.running.items() if p.poll() is not None]

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.running.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.running.clear()


class Committed:
    """Committed offsets of a consumer group (one client for the whole run; -1 while the
    group's coordinator moves)."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                   "enable.auto.commit": False, "log_level": 0})

    def __call__(self, topic: str = COMMANDS, partition: int = 0) -> int:
        try:
            found = self._consumer.committed([TopicPartition(topic, partition)], timeout=5)
            return int(found[0].offset)
        except KafkaException:
            return -1

    def close(self) -> None:
        self._consumer.close()


def read_log(bootstrap: str, partitions: list[Partition], timeout: float = 60.0) -> Log:
    """Every record `read_committed` consumers get from the partitions, with its offset, up
    to each partition's last stable offset now (by position: transaction markers take
    offsets that are never delivered)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "failover-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "log_level": 0})
    found: Log = defaultdict(list)
    try:
        ends = {}
        for topic, p in partitions:
            _, end = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if end > 0:
                ends[(topic, p)] = end
        consumer.assign([TopicPartition(t, p, 0) for (t, p) in ends])
        deadline = time.monotonic() + timeout
        while ends:
            assert time.monotonic() < deadline, f"could not read {sorted(ends)} to the end"
            for msg in consumer.consume(10_000, timeout=0.5):
                if msg.error() is None:
                    found[(msg.topic(), msg.partition())].append(
                        (msg.offset(), msg.key() or b"", msg.value() or b""))
            for tp in consumer.position([TopicPartition(t, p) for (t, p) in ends]):
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    del ends[(tp.topic, tp.partition)]
    finally:
        consumer.close()
    return found


def settled(bootstrap: str, core: Committed, erp: Committed) -> bool:
    """Has every input on `crm.commands` and every ERP reply been folded by the core, and
    every ERP request answered (the groups' commits are past each partition's last record)?"""
    log = read_log(bootstrap, [(COMMANDS, 0), (ERP_REPLIES, 0), (SALES_ORDERS, 0),
                               (SALES_ORDERS, 1), (SALES_ORDERS, 2), (CUSTOMER_MASTERS, 0),
                               (CUSTOMER_MASTERS, 1), (CUSTOMER_MASTERS, 2)])
    for (topic, p), records in log.items():
        group = core if topic in (COMMANDS, ERP_REPLIES) else erp
        if records and group(topic, p) <= records[-1][0]:
            return False
    return True


def group_members(admin: Any, group: str, timeout: float = 60.0
                  ) -> list[tuple[str, set[Partition]]]:
    """The group's members now: (client id, its assigned partitions) each.

    Asked again while the group's coordinator moves (its broker was just killed: a
    request to it is never answered, or answered NOT_COORDINATOR)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = admin.describe_consumer_groups([group])[group].result(5)
            return [(m.client_id, {(tp.topic, tp.partition)
                                   for tp in m.assignment.topic_partitions})
                    for m in found.members]
        except (KafkaException, TimeoutError, FutureTimeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_for(predicate: Any, timeout: float, what: str, dead: Any = None) -> float:
    """Poll `predicate` every 0.2 s; fail naming `what` after `timeout` s, or as soon as
    `dead()` names a worker that exited. Returns the seconds waited."""
    started = time.monotonic()
    while not predicate():
        if dead is not None and (gone := dead()):
            raise AssertionError(f"waiting for {what}: {gone}")
        assert time.monotonic() - started < timeout, \
            f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started

