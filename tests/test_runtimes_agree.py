"""Two runtimes, one behaviour: faust over Kafka derives exactly what the in-process fold does.

A recorded input log is folded in-process, and the same log is produced to
`crm.commands` for the faust worker (`crm run --role core`, a real subprocess). Every
partition of every event topic must then hold the same bytes, in the same order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from support import temp_home, wait_until

from backfill.run import simulation_factory
from domain.kernel.messages import Event, Message, utc
from events.topics import EVENT_TOPICS, TOPICS
from kafka_client.offsets import log_ends
from processors.core import CoreProcessor
from producers.kafka import MessageProducer
from producers.partitioner import partition_for

pytestmark = pytest.mark.integration
DAYS = 30


def recorded_log(simulation: str, days: int, scale: float) -> tuple[list[Message], CoreProcessor,
                                                                     list[Event]]:
    core = CoreProcessor()
    inputs: list[Message] = []
    derived: list[Event] = []

    def submit(message: Message) -> list[Event]:
        inputs.append(message)
        events = core.process(message)
        derived.extend(events)
        return events

    start = utc(2026, 1, 1)
    sim = simulation_factory(simulation)(11, start, scale, erp_in_process=True)
    for n in range(1, days * 48 + 1):
        sim.cycle(start + timedelta(minutes=30 * n), submit)
    return inputs, core, derived


def read_topics(bootstrap: str) -> dict[tuple[str, int], list[bytes]]:
    """Every committed record of the event topics, per partition, up to today's log ends.

    It reads `read_committed` and stops when the consumer's position reaches each log end,
    not after a count of records: under exactly-once (Apache Kafka) transaction markers
    take offsets that are never delivered as records."""
    ends = log_ends(bootstrap, [(s.name, p) for s in TOPICS for p in range(s.partitions)
                                if s.name in EVENT_TOPICS])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "agree-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    found: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    pending = {tp: end for tp, end in ends.items() if end}
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in pending])
    while pending:
        for msg in consumer.consume(10_000, timeout=1.0):
            if not msg.error():
                found[(msg.topic(), msg.partition())].append(msg.value())
        for tp in consumer.position([TopicPartition(t, p) for (t, p) in pending]):
            if tp.offset >= pending[(tp.topic, tp.partition)]:
                del pending[(tp.topic, tp.partition)]
    consumer.close()
    return found


def test_faust_worker_and_in_process_fold_derive_byte_identical_events(
    fresh_kafka: str, stack
) -> None:
    simulation, scale = "business", 0.2  # no fallback to the lead-only simulation
    print(f"{simulation} simulation, {DAYS} days at scale {scale:g}")
    inputs, core, derived = recorded_log(simulation, DAYS, scale)
    expected: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for out in map(core.encode, derived):
        expected[(out.topic, partition_for(out.topic, out.key))].append(out.value)

    with MessageProducer(fresh_kafka) as producer:
        producer.send_all(inputs)
    with temp_home() as home:
        env = {**os.environ, "CRM_HOME": str(home), "CRM_KAFKA_BOOTSTRAP": fresh_kafka,
               "CRM_DATABASE_URL": stack.database_url}
        log = Path(home) / "core.log"
        worker = subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", "core"],
                                  env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            def done() -> bool:
                ends = log_ends(fresh_kafka, list(expected))
                return sum(ends.values()) >= len(derived)

            assert wait_until(done, timeout=300), log.read_text()[-3000:]
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
    actual = read_topics(fresh_kafka)
    assert set(actual) == set(expected)
    for tp in expected:
        assert actual[tp] == expected[tp], f"{tp} differs"
    assert len(derived) > len(inputs) > DAYS * 48
