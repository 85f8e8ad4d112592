"""Phase 2 of a backfill: produce the generated log to Kafka, exactly once in effect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from crm.backfill import read_log
from events.topics import COMMANDS, TOPICS
from processors.faust_app import APP_ID
from producers.kafka import MessageProducer
from producers.offsets import partition_ends
from producers.partitioner import partition_for


class LogConflict(RuntimeError):
    """Kafka already holds a different history than the one being published."""


def publish(directory: Path, bootstrap: str, extra: dict[str, Any] | None = None,
            progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Produce what is not yet in Kafka; returns (records produced, records skipped)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": APP_ID,
                         "enable.auto.commit": False, **(extra or {})})
    try:
        present = _present(consumer)
        seen: dict[tuple[str, int], int] = {}
        produced = skipped = 0
        first_checked = False
        with MessageProducer(bootstrap, extra=extra) as producer:
            for record in read_log(directory):
                topic, key, value = record["topic"], record["key"], record["value"]
                partition = partition_for(topic, key)
                index = seen.get((topic, partition), 0)
                seen[(topic, partition)] = index + 1
                if index < present.get((topic, partition), 0):
                    if not first_checked and topic == COMMANDS:
                        _check_same_history(consumer, value)
                        first_checked = True
                    skipped += 1
                    continue
                producer.send_raw(topic, key, value, partition=partition)
                produced += 1
                if progress is not None and produced % 10_000 == 0:
                    progress(produced + skipped)
        _position_core_group(consumer, seen.get((COMMANDS, 0), 0))
        return produced, skipped
    finally:
        consumer.close()


def _present(consumer: Consumer) -> dict[tuple[str, int], int]:
    partitions = [(spec.name, p) for spec in TOPICS for p in range(spec.partitions)]
    for topic, partition in partitions:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
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


def _position_core_group(consumer: Consumer, inputs: int) -> None:
    """Point the rules worker's group after the history it must not process again."""
    committed = consumer.committed([TopicPartition(COMMANDS, 0)], timeout=30)[0].offset
    if committed < inputs:
        consumer.commit(offsets=[TopicPartition(COMMANDS, 0, inputs)], asynchronous=False)
