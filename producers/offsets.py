"""End offsets of partitions, read from fetch responses.

Tansu (the embedded broker) answers ListOffsets(latest) with the base offset of the last
record batch + 1 rather than the log end, so `get_watermark_offsets()` undercounts there.
A fetch response carries the true high watermark on every broker, so we fetch one batch
at the listed offset and read the watermark librdkafka cached from that response.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, TopicPartition


def partition_ends(consumer: Consumer, partitions: Iterable[tuple[str, int]],
                   timeout: float = 30.0) -> dict[tuple[str, int], int]:
    """The high watermark of each (topic, partition); leaves `consumer` unassigned."""
    ends: dict[tuple[str, int], int] = {}
    probe: list[TopicPartition] = []
    for topic, partition in partitions:
        _, listed = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                   timeout=timeout)
        if listed <= 0:
            ends[(topic, partition)] = 0  # empty on every broker we know
        else:
            probe.append(TopicPartition(topic, partition, listed - 1))
    if probe:
        consumer.assign(probe)
        waiting = {(tp.topic, tp.partition) for tp in probe}
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=len(waiting), timeout=0.2):
                waiting.discard((msg.topic(), msg.partition()))
        for tp in probe:
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            ends[(tp.topic, tp.partition)] = max(high, tp.offset + 1)
        consumer.unassign()
    return ends


def log_ends(bootstrap: str, partitions: Iterable[tuple[str, int]],
             extra: dict[str, object] | None = None) -> dict[tuple[str, int], int]:
    """`partition_ends` with a short-lived consumer of its own."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "crm-offset-probe",
                         "enable.auto.commit": False, **(extra or {})})
    try:
        return partition_ends(consumer, partitions)
    finally:
        consumer.close()
