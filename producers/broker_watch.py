"""What a producer knows of its broker, the one place both producers keep it
(`MessageProducer`, producers/kafka.py; `BulkProducer`, producers/bulk.py).

An unreachable broker is said once and then waited out (librdkafka retries on its own); a
fatal client error is a failure the next `flush` raises; while a producer blocks it says,
every WAIT_LOG_INTERVAL at most, which broker it waits for, how many messages it holds
and what for. librdkafka's own per-attempt reconnect lines are dropped (`RDKAFKA_LOG`):
the watch reports the outage itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Producer

WAIT_LOG_INTERVAL = 5.0  # seconds between "waiting for the broker" lines
UNREACHABLE = frozenset({KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
                         KafkaError._RESOLVE, KafkaError._TIMED_OUT})


class DeliveryFailed(RuntimeError):
    """Some messages were not acknowledged by the broker."""


class _QuietReconnects(logging.Filter):
    """Drop librdkafka's per-attempt connection failures (several a second while a broker
    is down): the producer reports the outage itself, once, and then what it waits for."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("Connect to" in text or "Disconnected" in text
                    or "brokers are down" in text)


RDKAFKA_LOG = logging.getLogger("producers.kafka.librdkafka")
RDKAFKA_LOG.addFilter(_QuietReconnects())


class BrokerWatch:
    """A producer's broker problem (until a delivery succeeds), its failures, and its
    rate-limited "waiting" line."""

    def __init__(self, bootstrap: str, logger: logging.Logger) -> None:
        self.bootstrap = bootstrap
        self.problem: str | None = None  # the last connection error, until a delivery
        self.failures: list[str] = []
        self._log = logger
        self._last_wait_log = 0.0

    def on_error(self, err: KafkaError) -> None:
        """librdkafka's client-level errors (`error_cb`): connection trouble is retried
        by librdkafka itself, so it is said once; a fatal error becomes a failure."""
        if err.code() in UNREACHABLE:
            if self.problem is None:
                self._log.warning("Kafka broker at %s unreachable (%s): holding the messages "
                                  "and retrying until it answers", self.bootstrap, err.str())
            self.problem = err.str()
        elif err.fatal():
            self._log.error("Kafka producer fatal error: %s", err.str())
            self.failures.append(f"fatal: {err.str()}")
        else:
            self._log.warning("Kafka producer: %s", err.str())

    def answered(self) -> None:
        """A delivery succeeded: the broker is back, if it was away."""
        if self.problem is not None:
            self._log.warning("Kafka broker at %s answers again; delivering the held "
                              "messages", self.bootstrap)
            self.problem = None

    def due(self) -> bool:
        """Whether a "waiting" line is due now (then the next one is not, for a while)."""
        now = time.monotonic()
        if now - self._last_wait_log < WAIT_LOG_INTERVAL:
            return False
        self._last_wait_log = now
        return True

    def say_waiting(self, held: int, what: str) -> None:
        """The line a blocked producer prints: which broker, what it holds, what for."""
        detail = f" ({self.problem})" if self.problem else ""
        self._log.warning("waiting for the Kafka broker at %s%s: %d messages held, not "
                          "lost; waiting for %s and retrying", self.bootstrap, detail, held,
                          what)

    def raise_failures(self) -> None:
        """Raise DeliveryFailed naming the first failures, if any (and forget them)."""
        if self.failures:
            failures, self.failures = self.failures, []
            raise DeliveryFailed("; ".join(failures[:5]))


def produce_when_room(producer: Producer, waiting: Callable[[str], None],
                      *args: Any, **kwargs: Any) -> None:
    """`producer.produce(*args, **kwargs)`, waiting (and saying so) while the local queue
    is full instead of failing."""
    while True:
        try:
            producer.produce(*args, **kwargs)
            return
        except BufferError:
            producer.poll(0.05)
            waiting("room in the local queue")
