"""End offsets of partitions, read from fetch responses.

Tansu (the embedded broker) answers ListOffsets(latest) with the base offset of the last
record batch + 1 rather than the log end, so `get_watermark_offsets()` undercounts there.
A fetch response carries the true high watermark on every broker, so we fetch one batch
at the listed offset and read the watermark librdkafka cached from that response.

Apache Kafka under exactly-once (the core's transactions) ends a partition's log in a
transaction marker: an offset that holds no record. The end we answer is the offset after
the last record a reader can read, which readers that store `last offset + 1` (the
projector, the core's committed position) reach; the log end past a marker they never do.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from kafka_client.reader import PartitionReader

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
_STILL = 0.5  # seconds a read_committed position stopped at an open transaction stays put


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
    """The end of each (topic, partition)'s records: the offset after the last record
    `consumer` can read there (0 when it can read none); leaves `consumer` unassigned.

    A reader that has read that far, or stored that offset, has read everything. It is
    the log end except where the log ends in offsets that carry no record for this
    reader: transaction markers (and aborted records, under `read_committed`) on a broker
    that honours transactions. Those take offsets but are never delivered, so a reader's
    `last offset + 1` never reaches the log end past them.
    """
    ends: dict[tuple[str, int], int] = {}
    lows: dict[tuple[str, int], int] = {}
    listed: dict[tuple[str, int], int] = {}
    starts: dict[tuple[str, int], int] = {}
    for topic, partition in partitions:
        tp = (topic, partition)
        low, listed[tp] = watermarks(consumer, TopicPartition(topic, partition), timeout)
        if listed[tp] <= low:
            ends[tp] = max(listed[tp], 0)  # empty on every broker we know
        else:
            lows[tp], starts[tp] = low, listed[tp] - 1
    back = 1
    deadline = time.monotonic() + timeout
    while starts:
        found = _read_tails(consumer, starts, listed, deadline, skip=back == 1)
        for tp, end in found.items():
            if end is not None:
                ends[tp] = end
                del starts[tp]
            elif starts[tp] <= lows[tp]:  # nothing readable at all
                ends[tp] = lows[tp]
                del starts[tp]
            else:  # only markers (or aborted records) from here on: look further back
                starts[tp] = max(lows[tp], starts[tp] - back)
        back *= 8
    consumer.unassign()
    return ends


def _read_tails(consumer: Consumer, starts: dict[tuple[str, int], int],
                listed: dict[tuple[str, int], int], deadline: float, skip: bool
                ) -> dict[tuple[str, int], int | None]:
    """Read each partition from its start to its end; per partition, the offset after the
    last record read (None: none was).

    The end is the high watermark of the first fetch response (ListOffsets undercounts on
    the embedded broker). The consumer's position moves past markers and aborted records,
    which are never delivered, so reaching the end needs no record there. A `read_committed`
    reader stops at an open transaction (the last stable offset, which ListOffsets
    answers on Apache Kafka): a position at or past `listed` that stays put for `_STILL` s
    is the end too. With `skip`, a tail longer than one offset (the embedded broker's last
    batch: thousands of records) is not read through: once its first record came, the
    consumer seeks to the offset before the end and reads that one.
    """
    consumer.assign([TopicPartition(t, p, o) for (t, p), o in starts.items()])
    targets: dict[tuple[str, int], int] = {}
    last: dict[tuple[str, int], int | None] = dict.fromkeys(starts)
    skipped: dict[tuple[str, int], int | None] = {}  # what was read after the seek
    still: dict[tuple[str, int], tuple[int, float]] = {}
    waiting = set(starts)
    while waiting and time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=500, timeout=0.05):
            tp = (msg.topic(), msg.partition())
            if msg.error() is None and tp in waiting and msg.offset() < targets.get(tp, 1 << 62):
                if tp not in skipped:
                    last[tp] = max(last[tp] or 0, msg.offset() + 1)
                elif msg.offset() + 1 >= targets[tp]:
                    skipped[tp] = msg.offset() + 1
        for tp in waiting:
            if tp not in targets:
                _, high = consumer.get_watermark_offsets(TopicPartition(*tp), cached=True)
                if high >= 0:  # a fetch response came
                    targets[tp] = max(high, starts[tp] + 1)
            if skip and tp in targets and tp not in skipped and last[tp] is not None \
                    and last[tp] < targets[tp] - 1:
                with contextlib.suppress(KafkaException):
                    consumer.seek(TopicPartition(*tp, targets[tp] - 1))
                    skipped[tp] = None
        now = time.monotonic()
        for p in consumer.position([TopicPartition(*tp) for tp in waiting if tp in targets]):
            tp = (p.topic, p.partition)
            if p.offset >= targets[tp]:
                waiting.discard(tp)
                if tp in skipped:  # None: a marker before the end, look further back
                    last[tp] = skipped[tp]
            elif p.offset >= listed[tp]:
                position, since = still.setdefault(tp, (p.offset, now))
                if position != p.offset:
                    still[tp] = (p.offset, now)
                elif now - since >= _STILL:
                    waiting.discard(tp)
                    last[tp] = skipped.get(tp) or last[tp]
    for tp in waiting:  # out of time: what the fetch said (the old approximation)
        last[tp] = last[tp] or targets.get(tp, starts[tp] + 1)
    return last


def log_ends(bootstrap: str, partitions: Iterable[tuple[str, int]],
             extra: dict[str, object] | None = None) -> dict[tuple[str, int], int]:
    """`partition_ends` with a short-lived consumer of its own."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "crm-offset-probe",
                         "enable.auto.commit": False, **(extra or {})})
    try:
        return partition_ends(consumer, partitions)
    finally:
        consumer.close()


def count_records(bootstrap: str, starts: dict[tuple[str, int], int],
                  ends: dict[tuple[str, int], int], extra: dict[str, object] | None = None,
                  timeout: float = 120.0) -> int:
    """How many records a `read_committed` reader gets between `starts` and `ends` (each
    partition's offsets; a partition missing from `starts` from 0), read one by one.

    Not `end - start`: on Apache Kafka transaction markers and aborted records take
    offsets; on Tansu, without them, both are the same."""
    pending = {tp: end for tp, end in ends.items() if end > starts.get(tp, 0)}
    if not pending:
        return 0
    with PartitionReader({"bootstrap.servers": bootstrap, "group.id": "crm-record-count",
                          "enable.auto.commit": False, **(extra or {}),
                          "isolation.level": "read_committed"}) as reader:
        return sum(map(len, reader.read({tp: starts.get(tp, 0) for tp in pending}, pending,
                                        batch=10_000, timeout=timeout,
                                        what="counting the records")))
