"""Publishing a backfill's records: many at a time, failures reported, no per-record ack.

`MessageProducer` (producers/kafka.py) keeps every message until the broker acknowledges
it, through a delivery callback per message, so that it can send them again from a new
producer when a restarted broker no longer knows it. A backfill needs neither: a partition
that already holds records of the run skips them on a rerun (backfill/publish.py), and a
broker that lost what it had acknowledged has lost the log's beginning too, which only a
rerun can put back. The per-message callbacks were a third of the backfill publisher's
CPU (py-spy, 90 days; docs/benchmarks.md, backfill item 19), so here librdkafka reports
failed deliveries only (`delivery.report.only.error`): a failure is still never silent
(`flush` raises `DeliveryFailed` naming it), an unreachable broker is still waited out
and said so, and a full local queue still makes `send_all` wait.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, Producer
from confluent_kafka import Message as KafkaMessage

from producers.broker_watch import RDKAFKA_LOG, WAIT_LOG_INTERVAL, BrokerWatch, produce_when_room
from producers.kafka import producer_config

log = logging.getLogger(__name__)
POLL_EVERY = 1024  # sends between two polls: only failures are reported, rarely any


class BulkProducer:
    """Produce already-encoded records to given partitions, in order per partition."""

    def __init__(self, bootstrap: str, extra: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.watch = BrokerWatch(bootstrap, log)
        conf = producer_config(bootstrap, extra)
        self._producer = Producer({**conf, "delivery.report.only.error": True,
                                   "on_delivery": self._on_delivery,
                                   "error_cb": self.watch.on_error, "logger": RDKAFKA_LOG})
        self._sent = 0

    def send_all(self, records: Iterable[tuple[str, str | None, bytes, int]]) -> None:
        """Queue (topic, key, value, partition) records; waits for queue space."""
        produce, sent = self._producer.produce, self._sent
        for topic, key, value, partition in records:
            try:
                produce(topic, value, key, partition)
            except BufferError:
                produce_when_room(self._producer, self._waiting, topic, value, key, partition)
            sent += 1
            if sent % POLL_EVERY == 0:
                self._producer.poll(0)
        self._sent = sent

    def flush(self) -> None:
        """Wait for every delivery, saying what it waits for; raise DeliveryFailed if any
        failed."""
        while self._producer.flush(WAIT_LOG_INTERVAL):
            self._waiting("acknowledgements")
        self.watch.raise_failures()

    def _waiting(self, what: str) -> None:
        if self.watch.due():
            self.watch.say_waiting(len(self._producer), what)

    def _on_delivery(self, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None:  # only failures are reported
            log.error("delivery to %s failed: %s", msg.topic(), err)
            self.watch.failures.append(f"{msg.topic()}[{msg.partition()}]: {err}")
