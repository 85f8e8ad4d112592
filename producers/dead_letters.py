"""Dead letters on Kafka: publishing them durably and reading them back.

`DeadLetterPublisher` sends each refused message to `crm.dead-letter` with its original
key and bytes, the reason and its source position as headers (`events.dlq.DeadLetter`).
A failed delivery raises (from the delivery callback, surfacing in `flush()`), so a
caller that flushes before committing its own progress can never lose a dead letter.
`read_dead_letters()` returns the newest ones (for `crm dlq`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka import Message as KafkaMessage

from events.dlq import DeadLetter
from events.topics import DEAD_LETTER
from kafka_client.offsets import partition_ends
from producers.kafka import DeliveryFailed, producer_config

log = logging.getLogger(__name__)


class DeadLetterPublisher:
    """Publish dead letters; `flush()` returns only when all are acknowledged."""

    def __init__(self, bootstrap: str, extra: dict[str, Any] | None = None,
                 topic: str = DEAD_LETTER) -> None:
        self.topic = topic
        self._producer = Producer(producer_config(bootstrap, extra))
        self.published = 0
        self.delivered = 0

    def __enter__(self) -> DeadLetterPublisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.flush()
        else:  # already failing: try to deliver what is queued, keep the first error
            try:
                self.flush()
            except Exception:
                log.exception("dead letters not delivered while handling another error")

    def publish(self, letter: DeadLetter) -> None:
        """Queue one dead letter (waits for queue space instead of failing)."""
        while True:
            try:
                self._producer.produce(self.topic, letter.original, letter.key,
                                       headers=letter.headers(), on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.05)
        self.published += 1
        self._producer.poll(0)

    def publish_all(self, letters: Iterable[DeadLetter]) -> int:
        """Queue many; returns how many were queued."""
        count = 0
        for letter in letters:
            self.publish(letter)
            count += 1
        return count

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every queued dead letter is acknowledged; raise DeliveryFailed if not."""
        remaining = self._producer.flush(timeout)
        if remaining:
            raise DeliveryFailed(f"{remaining} dead letters still undelivered after {timeout}s")

    def _on_delivery(self, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None:
            raise DeliveryFailed(f"dead letter to {msg.topic()} not delivered: {err}")
        self.delivered += 1


def read_dead_letters(bootstrap: str, limit: int = 100, extra: dict[str, Any] | None = None,
                      topic: str = DEAD_LETTER, timeout: float = 10.0) -> list[DeadLetter]:
    """The newest `limit` dead letters, oldest first (reads without a consumer group)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"dlq-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         **(extra or {})})
    try:
        metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return []
        assignment, ends = [], {}
        highs = partition_ends(consumer, [(topic, p) for p in metadata.partitions])
        for partition in metadata.partitions:
            low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                    timeout=timeout)
            high = highs[(topic, partition)]
            if high > low:
                assignment.append(TopicPartition(topic, partition, max(low, high - limit)))
                ends[partition] = high
        if not assignment:
            return []
        consumer.assign(assignment)
        found: list[tuple[int, int, int, DeadLetter]] = []
        done: set[int] = set()
        expected = sum(ends[tp.partition] - tp.offset for tp in assignment)
        while len(done) < len(ends):
            # consume() waits for the count asked for (or the whole timeout): ask for what
            # is left, no more, or every listing takes `timeout` seconds
            batch = consumer.consume(max(1, min(expected - len(found), 1000)), timeout=timeout)
            if not batch:
                break
            for msg in batch:
                if msg.error() is not None:
                    continue
                partition, offset = msg.partition(), msg.offset()
                letter = DeadLetter.from_headers(msg.value() or b"", msg.key(), msg.headers())
                found.append((msg.timestamp()[1], partition, offset, letter))
                if offset + 1 >= ends[partition]:
                    done.add(partition)
        found.sort(key=lambda item: item[:3])
        return [letter for *_, letter in found[-limit:]]
    finally:
        consumer.close()


__all__ = ["DeadLetterPublisher", "DeliveryFailed", "read_dead_letters"]
