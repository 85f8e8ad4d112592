"""Dead letters on Kafka: publishing them durably.

`DeadLetterPublisher` sends each refused message to `crm.dead-letter` with its original
key and bytes, the reason and its source position as headers (`events.dlq.DeadLetter`).
A failed delivery raises (from the delivery callback, surfacing in `flush()`), so a
caller that flushes before committing its own progress can never lose a dead letter.
Reading them back is `operations.dead_letters.list_dead_letters` (`crm dlq list`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, Producer
from confluent_kafka import Message as KafkaMessage

from events.dlq import DeadLetter
from events.topics import DEAD_LETTER
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


__all__ = ["DeadLetterPublisher", "DeliveryFailed"]
