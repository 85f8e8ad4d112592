"""End offsets of partitions, read from fetch responses.

Tansu (the embedded broker) answers ListOffsets(latest) with the base offset of the last
record batch + 1 rather than the log end, so `get_watermark_offsets()` undercounts there.
A fetch response carries the true high watermark on every broker, so we fetch one batch
at the listed offset and read the watermark librdkafka cached from that response.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

# What a partition answers while its leadership moves (a broker died or came back, on a
# replicated cluster): librdkafka refreshes its metadata, and asking again succeeds. A
# request sent to a killed leader before the cluster fenced it (~9 s) is never answered:
# it times out (_TIMED_OUT), however long the call waits, so each try waits briefly.
LEADERSHIP_MOVING = frozenset({
    KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.FENCED_LEADER_EPOCH, KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.REQUEST_TIMED_OUT, KafkaError._TRANSPORT, KafkaError._TIMED_OUT,
    KafkaError._DESTROY_BROKER,  # the fenced broker left the metadata mid-request
    KafkaError._UNKNOWN_PARTITION,  # metadata of a topic just (re)created not here yet
})
_TRY = 5.0  # seconds one ListOffsets try may wait


def watermarks(consumer: Consumer, tp: TopicPartition, timeout: float = 30.0) -> tuple[int, int]:
    """`get_watermark_offsets` (ListOffsets), asked again while the partition's leader
    changes, for up to `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = consumer.get_watermark_offsets(
                tp, timeout=max(1.0, min(_TRY, deadline - time.monotonic())))
        except KafkaException as exc:
            if exc.args[0].code() not in LEADERSHIP_MOVING or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            with contextlib.suppress(KafkaException):  # learn the new leader (a timeout
                consumer.list_topics(tp.topic, timeout=_TRY)  # refreshes no metadata)
            continue
        if found is None:  # older clients answer a timeout with None
            raise TimeoutError(f"no offsets for {tp.topic}/{tp.partition} in {timeout:.0f}s")
        return int(found[0]), int(found[1])


def partition_ends(consumer: Consumer, partitions: Iterable[tuple[str, int]],
                   timeout: float = 30.0) -> dict[tuple[str, int], int]:
    """The high watermark of each (topic, partition); leaves `consumer` unassigned."""
    ends: dict[tuple[str, int], int] = {}
    probe: list[TopicPartition] = []
    for topic, partition in partitions:
        _, listed = watermarks(consumer, TopicPartition(topic, partition), timeout)
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
