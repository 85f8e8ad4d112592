"""The projector process: event topics in, read tables out, offsets kept in PostgreSQL.

Consumer offsets never go to Kafka: each batch's rows and its next offsets commit in
one PostgreSQL transaction, and on (re)assignment the consumer seeks to the offsets
stored there. A crash anywhere loses nothing and applies nothing twice.

Messages that do not decode become dead letters: they are published to
`crm.dead-letter` and flushed *before* the batch's transaction commits, so a crash can
only repeat a dead letter, never lose one, and the projector keeps going.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy.engine import Engine

from domain.messages import Event
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter
from events.topics import EVENT_TOPICS
from producers.dead_letters import DeadLetterPublisher
from producers.offsets import log_ends
from projectors.writer import apply_events, load_offsets, save_offsets

log = logging.getLogger(__name__)
GROUP = "crm-projector"
# Live projectors hold this advisory lock shared per batch; `crm rebuild` takes it
# exclusively to swap tables, so no batch can land in a table being swapped out.
PROJECTION_LOCK = 0x63726D5F70726A74  # b"crm_prjt"


@dataclass
class ProjectorStats:
    """What a run did."""

    events: int = 0
    rows: int = 0
    batches: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)


class Projector:
    """Consume the event topics in batches and project them transactionally."""

    def __init__(
        self,
        engine: Engine,
        bootstrap: str,
        group: str = GROUP,
        topics: Sequence[str] = EVENT_TOPICS,
        codec: AvroCodec | None = None,
        batch_size: int = 5000,
        extra: dict[str, Any] | None = None,
        on_dead_letter: Callable[[DeadLetter], None] | None = None,
        take_lock: bool = True,
        dead_letters: DeadLetterPublisher | None = None,
    ) -> None:
        """`dead_letters` defaults to a publisher on `bootstrap` (flushed by `close`)."""
        self.engine = engine
        self._bootstrap = bootstrap
        self._extra = extra
        self.group = group
        self.topics = list(topics)
        self.codec = codec or AvroCodec()
        self.batch_size = batch_size
        self.stats = ProjectorStats()
        self._subscribed = False
        self._take_lock = take_lock
        self.positions: dict[tuple[str, int], int] = {}
        self._on_dead_letter = on_dead_letter
        self._owns_publisher = dead_letters is None
        self.dead_letters = dead_letters or DeadLetterPublisher(bootstrap, extra)
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
                "fetch.wait.max.ms": 50,
                **(extra or {}),
            }
        )

    def start(self) -> None:
        """Subscribe (once); partitions are positioned from PostgreSQL on assignment."""
        if not self._subscribed:
            self._consumer.subscribe(self.topics, on_assign=self._on_assign)
            self._subscribed = True

    def close(self) -> None:
        """Leave the consumer group (and flush the dead-letter publisher it built)."""
        self._consumer.close()
        if self._owns_publisher:
            self.dead_letters.flush()

    def run(self, should_stop: Callable[[], bool], idle_timeout: float | None = None) -> None:
        """Project until `should_stop()` or `idle_timeout` seconds pass with nothing new."""
        self.start()
        last_data = time.monotonic()
        try:
            while not should_stop():
                if self.poll_once(timeout=0.2):
                    last_data = time.monotonic()
                elif idle_timeout is not None and time.monotonic() - last_data > idle_timeout:
                    return
        finally:
            self.close()

    def poll_once(self, timeout: float = 0.2) -> int:
        """Consume and project one batch; returns the number of events applied."""
        self.start()
        msgs = self._consumer.consume(num_messages=self.batch_size, timeout=timeout)
        if not msgs:
            return 0
        events: list[Event] = []
        letters: list[DeadLetter] = []
        offsets: dict[tuple[str, int], int] = {}
        for msg in msgs:
            if msg.error():
                log.warning("consumer error: %s", msg.error())
                continue
            offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
            try:
                events.append(self.codec.decode(msg.value()))  # type: ignore[arg-type]
            except DecodeError as exc:
                letters.append(DeadLetter(msg.value() or b"", str(exc), msg.topic(),
                                          msg.partition(), msg.offset(), msg.key()))
        raw = self.engine.raw_connection()
        try:
            if self._take_lock:
                with raw.driver_connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (PROJECTION_LOCK,))
            rows = apply_events(raw.driver_connection, events)
            save_offsets(raw.driver_connection, self.group, offsets)
            if letters:  # durable on Kafka before the offsets past them commit
                self.dead_letters.publish_all(letters)
                self.dead_letters.flush()
            raw.commit()
        except Exception:
            raw.rollback()
            raise
        finally:
            raw.close()
        self.positions.update(offsets)
        for letter in letters:
            log.warning("dead letter from %s[%d]@%d: %s", letter.source_topic,
                        letter.source_partition, letter.source_offset, letter.reason)
            self.stats.dead_letters.append(letter)
            if self._on_dead_letter is not None:
                self._on_dead_letter(letter)
        self.stats.events += len(events)
        self.stats.rows += rows
        self.stats.batches += 1
        return len(events)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        raw = self.engine.raw_connection()
        try:
            stored = load_offsets(raw.driver_connection, self.group)
        finally:
            raw.close()
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
            self.positions[(tp.topic, tp.partition)] = max(tp.offset, 0)
        consumer.assign(partitions)

    def end_offsets(self) -> dict[tuple[str, int], int]:
        """The current end of every partition of the subscribed topics."""
        metadata = self._consumer.list_topics(timeout=30)
        partitions = [(t, p) for t in self.topics for p in metadata.topics[t].partitions]
        return log_ends(self._bootstrap, partitions, self._extra)

    def catch_up(self, timeout: float = 600.0,
                 progress: Callable[[int], None] | None = None) -> None:
        """Project until every partition reaches the end it had when this was called."""
        ends = self.end_offsets()
        deadline = time.monotonic() + timeout
        self.start()
        while any(self.positions.get(tp, -1) < end for tp, end in ends.items() if end > 0):
            if time.monotonic() > deadline:
                raise TimeoutError(f"projector did not reach the end of the log in {timeout}s")
            if self.poll_once(timeout=0.2) and progress is not None:
                progress(self.stats.events)
