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
import time
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, Producer
from confluent_kafka import Message as KafkaMessage

from producers.kafka import (
    _UNREACHABLE,
    RDKAFKA_LOG,
    WAIT_LOG_INTERVAL,
    DeliveryFailed,
    log_waiting,
    producer_config,
)

log = logging.getLogger(__name__)
POLL_EVERY = 1024  # sends between two polls: only failures are reported, rarely any


class BulkProducer:
    """Produce already-encoded records to given partitions, in order per partition."""

    def __init__(self, bootstrap: str, extra: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        conf = producer_config(bootstrap, extra)
        self._producer = Producer({**conf, "delivery.report.only.error": True,
                                   "on_delivery": self._on_delivery,
                                   "error_cb": self._on_error, "logger": RDKAFKA_LOG})
        self.failures: list[str] = []
        self.broker_problem: str | None = None
        self._last_wait_log = 0.0
        self._sent = 0

    def send_all(self, records: Iterable[tuple[str, str | None, bytes, int]]) -> None:
        """Queue (topic, key, value, partition) records; waits for queue space."""
        produce, sent = self._producer.produce, self._sent
        for topic, key, value, partition in records:
            while True:
                try:
                    produce(topic, value, key, partition)
                    break
                except BufferError:
                    self._producer.poll(0.05)
                    self._waiting("room in the local queue")
            sent += 1
            if sent % POLL_EVERY == 0:
                self._producer.poll(0)
        self._sent = sent

    def flush(self) -> None:
        """Wait for every delivery, saying what it waits for; raise DeliveryFailed if any
        failed."""
        while self._producer.flush(WAIT_LOG_INTERVAL):
            self._waiting("acknowledgements")
        if self.failures:
            failures, self.failures = self.failures, []
            raise DeliveryFailed("; ".join(failures[:5]))

    def _waiting(self, what: str) -> None:
        now = time.monotonic()
        if now - self._last_wait_log < WAIT_LOG_INTERVAL:
            return
        self._last_wait_log = now
        log_waiting(log, self.bootstrap, self.broker_problem, len(self._producer), what)

    def _on_error(self, err: KafkaError) -> None:
        if err.code() in _UNREACHABLE:
            if self.broker_problem is None:
                log.warning("Kafka broker at %s unreachable (%s): holding the messages "
                            "and retrying until it answers", self.bootstrap, err.str())
            self.broker_problem = err.str()
        elif err.fatal():
            log.error("Kafka producer fatal error: %s", err.str())
            self.failures.append(f"fatal: {err.str()}")
        else:
            log.warning("Kafka producer: %s", err.str())

    def _on_delivery(self, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None:  # only failures are reported
            log.error("delivery to %s failed: %s", msg.topic(), err)
            self.failures.append(f"{msg.topic()}[{msg.partition()}]: {err}")
