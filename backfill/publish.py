"""Publishing a backfill's log to Kafka, exactly once in effect.

Records are placed by Kafka's default partitioner, so a partition already holding k
records of this run skips its first k: a publish interrupted at any point and run again
(from the log file, or by generating the same deterministic history again) loses nothing
and doubles nothing.

What is counted: k is the partition's end offset (`partition_ends`: the offset after its
last record), taken as its number of records. The two are equal on both brokers for the
log a backfill writes: this publisher is the only writer before go-live, idempotent and
without transactions, so no offset is a marker or an aborted record. Once the live core
has written under exactly once (Apache Kafka), each transaction's commit marker takes an
offset too and k exceeds the records; a publish run again then skips every record of its
history (all are there: the first input is compared, `_check_same_history`) and reports
them as "already in Kafka", which is right, and moves the core group never back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from backfill.runlog import read_log
from events.core_group import core_group_consumer, skip_inputs
from events.topics import COMMANDS, TOPICS
from kafka_client.offsets import partition_ends, watermarks
from producers.bulk import BulkProducer
from producers.partitioner import partition_for

# Bulk publishing: fuller batches, far fewer produce requests, much less of the embedded
# broker's CPU (docs/benchmarks.md, items 7 and 10); live producers keep the default 5 ms,
# which every live command would otherwise wait out.
BULK = {"linger.ms": 500, "batch.size": 1_000_000}


class LogConflict(RuntimeError):
    """Kafka already holds a different history than the one being published."""


class LogPublisher:
    """Send a backfill's records in log order; skips what Kafka already holds.

    A context manager: leaving it flushes every record and positions the rules worker's
    group after the history's inputs (so `crm run` does not process them again).
    """

    def __init__(self, bootstrap: str, extra: dict[str, Any] | None = None) -> None:
        self._consumer = core_group_consumer(bootstrap, extra)
        # only partitions that hold records: on a fresh backfill none does, and the test
        # per record below is skipped (the publisher's CPU is per record)
        self._present = {where: n for where, n in _present(self._consumer).items() if n > 0}
        self._producer = BulkProducer(bootstrap, extra={**BULK, **(extra or {})})
        self._seen: dict[tuple[str, int], int] = {}
        self._partitions: dict[str, dict[str, int]] = {}  # topic -> key -> partition
        self._first_checked = False
        self.produced = 0
        self.skipped = 0

    def __enter__(self) -> LogPublisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc is None:
                self._producer.flush()
                skip_inputs(self._consumer, self._seen.get((COMMANDS, 0), 0))
        finally:
            self._consumer.close()

    def send(self, topic: str, key: str, value: bytes) -> None:
        """The next record of the log: produced unless its partition already holds it."""
        self.send_all(((topic, key, value),))

    def send_all(self, records: Iterable[tuple[str, str, bytes]]) -> None:
        """The next records of the log, in order (each as `send`)."""
        seen, present, partitions = self._seen, self._present, self._partitions
        out: list[tuple[str, str, bytes, int]] = []
        for topic, key, value in records:
            keys = partitions.get(topic)
            if keys is None:
                keys = partitions[topic] = {}
            partition = keys.get(key)
            if partition is None:
                partition = keys[key] = partition_for(topic, key)
            where = (topic, partition)
            index = seen.get(where, 0)
            seen[where] = index + 1
            if present and index < present.get(where, 0):
                if not self._first_checked and topic == COMMANDS:
                    _check_same_history(self._consumer, value)
                    self._first_checked = True
                self.skipped += 1
                continue
            out.append((topic, key, value, partition))
        self._producer.send_all(out)
        self.produced += len(out)


def publish(directory: Path, bootstrap: str, extra: dict[str, Any] | None = None,
            progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Produce the log file's records not yet in Kafka; returns (produced, skipped)."""
    with LogPublisher(bootstrap, extra) as publisher:
        chunk: list[tuple[str, str, bytes]] = []
        for n, record in enumerate(read_log(directory), 1):
            chunk.append((record["topic"], record["key"], record["value"]))
            if n % 10_000 == 0:
                publisher.send_all(chunk)
                chunk.clear()
                if progress is not None:
                    progress(n)
        publisher.send_all(chunk)
    return publisher.produced, publisher.skipped


def _present(consumer: Consumer) -> dict[tuple[str, int], int]:
    partitions = [(spec.name, p) for spec in TOPICS for p in range(spec.partitions)]
    for topic, partition in partitions:
        low, _ = watermarks(consumer, TopicPartition(topic, partition), timeout=30)
        if low > 0:
            raise LogConflict(f"{topic}/{partition} was truncated (starts at {low}); "
                              "a backfill needs the whole log")
    return partition_ends(consumer, partitions)


def _check_same_history(consumer: Consumer, first_value: bytes) -> None:
    consumer.assign([TopicPartition(COMMANDS, 0, 0)])
    for _ in range(50):
        for msg in consumer.consume(1, timeout=0.5):
            if msg.error():
                continue
            if msg.value() != first_value:
                raise LogConflict(
                    "crm.commands already holds a different history (another seed, end date "
                    "or scale). Use a fresh CRM_HOME, or `crm down` and remove CRM_HOME's "
                    "archive, to backfill a new one.")
            consumer.unassign()
            return
    raise LogConflict("could not read the first record of crm.commands to compare histories")
