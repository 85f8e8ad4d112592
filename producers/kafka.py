"""Publishing messages to Kafka with confluent-kafka.

`MessageProducer` is a context manager: leaving it flushes and raises if any delivery
failed, so no caller can lose an event silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, Producer
from confluent_kafka import Message as KafkaMessage

from domain.messages import Message
from events.codec import AvroCodec
from events.topics import topic_for
from producers.partitioner import partition_for

log = logging.getLogger(__name__)


class DeliveryFailed(RuntimeError):
    """Some messages were not acknowledged by the broker."""


def producer_config(bootstrap: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Durable defaults: idempotent, acks=all, small linger for batching."""
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 500000,
        "message.timeout.ms": 120000,
        "partitioner": "murmur2_random",  # Java/aiokafka-compatible placement of keys
    }
    conf.update(extra or {})
    return conf


class MessageProducer:
    """Encode and publish messages; key = aggregate id; failures reported, never dropped."""

    def __init__(self, bootstrap: str, codec: AvroCodec | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self._producer = Producer(producer_config(bootstrap, extra))
        self._codec = codec or AvroCodec()
        self.failures: list[str] = []
        self.delivered = 0

    def __enter__(self) -> MessageProducer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.flush()

    def send(self, message: Message, topic: str | None = None) -> None:
        """Queue one message (to its topic from the topic map unless given)."""
        topic = topic or topic_for(message)
        self.send_raw(topic, message.aggregate_id, self._codec.encode(message),
                      partition=partition_for(topic, message.aggregate_id))

    def send_raw(self, topic: str, key: str | None, value: bytes,
                 headers: dict[str, bytes] | None = None, partition: int = -1) -> None:
        """Queue already-encoded bytes; waits for queue space instead of failing."""
        while True:
            try:
                self._producer.produce(topic, value, key, partition=partition, headers=headers,
                                       on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._producer.poll(0)

    def send_all(self, messages: Iterable[Message]) -> int:
        """Queue many; returns how many were queued."""
        count = 0
        for message in messages:
            self.send(message)
            count += 1
        return count

    def flush(self, timeout: float = 120.0) -> None:
        """Wait for every delivery; raise DeliveryFailed if any failed or is still pending."""
        remaining = self._producer.flush(timeout)
        if remaining:
            self.failures.append(f"{remaining} messages still undelivered after {timeout}s")
        if self.failures:
            failures, self.failures = self.failures, []
            raise DeliveryFailed("; ".join(failures[:5]))

    def _on_delivery(self, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None:
            log.error("delivery to %s failed: %s", msg.topic(), err)
            self.failures.append(f"{msg.topic()}: {err}")
        else:
            self.delivered += 1
