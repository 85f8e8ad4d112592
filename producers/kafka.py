"""Publishing messages to Kafka with confluent-kafka.

`MessageProducer` is a context manager: leaving it flushes and raises if any delivery
failed, so no caller can lose an event silently.

An unreachable broker is waited out, not failed on: librdkafka holds the queued messages
and retries (no message timeout), `send` blocks while the local queue is full, and
`flush` waits (by default for as long as it takes), logging every few seconds which
broker it is waiting for and how many messages it holds. A broker that answers again but
accepts nothing for STALL_SECONDS (an embedded broker restarted empty no longer knows
this idempotent producer, and librdkafka retries that forever) gets every unacknowledged
message again from a fresh producer, in the original order: none is lost, and a copy of
one the old broker did store is a duplicate that consumers ignore (deterministic ids,
version-guarded projections).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka import Message as KafkaMessage

from events.topics import topic_for
from producers.broker_watch import (
    RDKAFKA_LOG,
    WAIT_LOG_INTERVAL,
    BrokerWatch,
    DeliveryFailed,
    produce_when_room,
)
from producers.partitioner import partition_for

if TYPE_CHECKING:  # the backfill's publisher imports this module (producers/bulk.py)
    # without the domain and its codec: seconds of imports it does not use
    from domain.kernel.messages import Message
    from events.codec import AvroCodec

__all__ = ["DeliveryFailed", "MessageProducer", "producer_config"]

log = logging.getLogger(__name__)
POLL_EVERY = 64  # sends between two polls for delivery reports
STALL_SECONDS = 10.0  # broker answers, nothing acknowledged: start a fresh producer
_PURGED = frozenset({KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})


def producer_config(bootstrap: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Durable defaults: idempotent, acks=all, small linger for batching."""
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 500000,
        "message.timeout.ms": 0,  # never give up on a message: hold it until delivered
        "partitioner": "murmur2_random",  # Java/aiokafka-compatible placement of keys
    }
    conf.update(extra or {})
    return conf


class MessageProducer:
    """Encode and publish messages; key = aggregate id; failures reported, never dropped."""

    def __init__(self, bootstrap: str, codec: AvroCodec | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.watch = BrokerWatch(bootstrap, log)
        self._conf = {**producer_config(bootstrap, extra), "error_cb": self.watch.on_error,
                      "logger": RDKAFKA_LOG}
        self._producer = Producer(self._conf)
        if codec is None:
            from events.codec import AvroCodec

            codec = AvroCodec()
        self._codec = codec
        self.delivered = 0
        self.resets = 0
        self._last_progress = time.monotonic()
        # every message not yet acknowledged, in send order, to send again after a reset
        self._unacked: dict[int, tuple[str, str | None, bytes, Any, int]] = {}
        self._seq = 0

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
        if not self._unacked:
            self._last_progress = time.monotonic()  # the stall clock starts with the wait
        self._seq += 1
        self._unacked[self._seq] = (topic, key, value, headers, partition)
        self._produce(self._seq)
        if self._seq % POLL_EVERY == 0:  # serves delivery callbacks; not per message (its
            # cost showed in the publishing profile: docs/benchmarks.md, optimisation 9)
            self._producer.poll(0)

    def _produce(self, seq: int) -> None:
        topic, key, value, headers, partition = self._unacked[seq]
        produce_when_room(self._producer, self._waiting, topic, value, key,
                          partition=partition, headers=headers,
                          on_delivery=partial(self._on_delivery, seq))

    def send_all(self, messages: Iterable[Message]) -> int:
        """Queue many; returns how many were queued."""
        count = 0
        for message in messages:
            self.send(message)
            count += 1
        return count

    def pending(self) -> int:
        """Messages queued or in flight, not yet acknowledged."""
        return len(self._producer)

    def flush(self, timeout: float | None = None) -> None:
        """Wait for every delivery (at most `timeout` s; None: as long as it takes, saying
        what it waits for); raise DeliveryFailed if any failed or is still pending."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = WAIT_LOG_INTERVAL if deadline is None else \
                max(0.0, min(WAIT_LOG_INTERVAL, deadline - time.monotonic()))
            remaining = self._producer.flush(step)
            if not remaining or (deadline is not None and time.monotonic() >= deadline):
                break
            self._waiting("acknowledgements")
        if remaining:
            self.watch.failures.append(f"{remaining} messages still undelivered after "
                                       f"{timeout}s")
        self.watch.raise_failures()

    def _waiting(self, what: str) -> None:
        """Called while blocked: say what we wait for; restart a stalled producer."""
        if not self.watch.due():
            return
        if time.monotonic() - self._last_progress > STALL_SECONDS and self._broker_answers():
            self._reset()
            return
        self.watch.say_waiting(len(self._producer), what)

    def _broker_answers(self) -> bool:
        try:
            return bool(self._producer.list_topics(timeout=2).brokers)
        except KafkaException:
            return False

    def _reset(self) -> None:
        """Replace a producer the broker no longer accepts; send what it held again."""
        held = len(self._unacked)
        log.warning("Kafka broker at %s answers but has acknowledged nothing for %.0fs (it "
                    "restarted and no longer knows this producer): sending the %d "
                    "unacknowledged messages again from a new producer", self.bootstrap,
                    time.monotonic() - self._last_progress, held)
        old = self._producer
        old.purge(in_queue=True, in_flight=True, blocking=False)
        old.flush(5)  # delivers the purge reports (ignored: the messages stay unacked)
        self._producer = Producer(self._conf)
        self.resets += 1
        self._last_progress = time.monotonic()
        for seq in list(self._unacked):
            self._produce(seq)

    def _on_delivery(self, seq: int, err: KafkaError | None, msg: KafkaMessage) -> None:
        if err is not None and err.code() in _PURGED:
            return  # dropped by `_reset` on purpose: sent again by the new producer
        self._unacked.pop(seq, None)
        self._last_progress = time.monotonic()
        if err is not None:
            log.error("delivery to %s failed: %s", msg.topic(), err)
            self.watch.failures.append(f"{msg.topic()}: {err}")
        else:
            self.watch.answered()
            self.delivered += 1
