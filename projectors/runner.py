"""The projector process: event topics in, read tables out, offsets kept in PostgreSQL.

Consumer offsets never go to Kafka: each batch's rows and its next offsets commit in
one PostgreSQL transaction, and on (re)assignment the consumer seeks to the offsets
stored there. A crash anywhere loses nothing and applies nothing twice.

Messages that do not decode become dead letters: they are published to
`crm.dead-letter` and flushed *before* the batch's transaction commits, so a crash can
only repeat a dead letter, never lose one, and the projector keeps going. So do events
that decode but carry a value the read model refuses (projectors/refusals.py): the one
that fails the batch is found, set aside the same way, and the rest of the batch written.
The transactions themselves are projectors/commit.py's.

PostgreSQL going away (restart, failover, network) is waited out: the batch's
transaction is rolled back and retried with backoff on a new connection; past
`db_retry_timeout` the consumer is re-sought to the last committed positions and the
error raised (`run` and `catch_up` log it and carry on). Rows and offsets commit
together, so a retried or re-read batch is applied exactly once in effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from sqlalchemy.engine import Engine

from events.codec import AvroCodec
from events.dlq import DeadLetter
from events.topics import EVENT_TOPICS, PROJECTOR_GROUP
from kafka_client.offsets import log_ends
from producers.dead_letters import DeadLetterPublisher
from projectors.batches import is_transient_db_error
from projectors.commit import BACKOFF, BatchCommits, first_line, stored_offsets
from projectors.intake import decode_batch

log = logging.getLogger(__name__)
GROUP = PROJECTOR_GROUP
# A batch is whatever is already fetched, up to this many events: one per poll when live,
# full batches when catching up, where larger batches fold more updates of one row into
# one write (docs/benchmarks.md, optimisation 5).
BATCH_SIZE = 20_000
DB_RETRY_TIMEOUT = 60.0  # per batch; stays well under librdkafka's max.poll.interval.ms


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
        batch_size: int = BATCH_SIZE,
        extra: dict[str, Any] | None = None,
        fetch: dict[str, Any] | None = None,
        on_dead_letter: Callable[[DeadLetter], None] | None = None,
        take_lock: bool = True,
        dead_letters: DeadLetterPublisher | None = None,
        assign: bool = False,
        trusted: bool = False,
    ) -> None:
        """`extra`: settings every Kafka client gets (security); `fetch`: consumer settings
        for this projector's consumer only (its dead-letter producer would warn about them).
        `dead_letters` defaults to a publisher on `bootstrap` (flushed by `close`).
        `assign`: take every partition of `topics` directly instead of joining the
        consumer group (`crm rebuild`: the only reader of its group; no join to wait for).
        `trusted`: the topics hold our own core's log (a backfill's): decoded without
        pydantic's second pass (`AvroCodec.decode_trusted`)."""
        self._assign = assign
        self._trusted = trusted
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
        self.db_retry_timeout = DB_RETRY_TIMEOUT
        self._should_stop: Callable[[], bool] = lambda: False
        self._on_dead_letter = on_dead_letter
        self._owns_publisher = dead_letters is None
        self.dead_letters = dead_letters or DeadLetterPublisher(bootstrap, extra)
        self._commits = BatchCommits(engine, group, take_lock, self.dead_letters)
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
                # a hop of a live command's way to its row (Tansu holds a waiting fetch
                # for part of this wait even when data arrives): as the core's fetch wait
                "fetch.wait.max.ms": 20,
                **(fetch or {}),
                **(extra or {}),
            }
        )

    def start(self) -> None:
        """Subscribe (once); partitions are positioned from PostgreSQL on assignment."""
        if not self._subscribed:
            if self._assign:
                metadata = self._consumer.list_topics(timeout=30)
                self._on_assign(self._consumer, [
                    TopicPartition(t, p) for t in self.topics
                    for p in metadata.topics[t].partitions])
            else:
                self._consumer.subscribe(self.topics, on_assign=self._on_assign)
            self._subscribed = True

    def close(self) -> None:
        """Leave the consumer group (and flush the dead-letter publisher it built)."""
        self._consumer.close()
        if self._owns_publisher:
            self.dead_letters.flush()

    def run(self, should_stop: Callable[[], bool], idle_timeout: float | None = None) -> None:
        """Project until `should_stop()` or `idle_timeout` seconds pass with nothing new."""
        try:
            self.follow(should_stop, idle_timeout)
        finally:
            self.close()

    def follow(self, should_stop: Callable[[], bool], idle_timeout: float | None = None,
               progress: Callable[[int], None] | None = None) -> None:
        """`run` without closing: the consumer stays assigned (e.g. for a `catch_up`)."""
        self.start()
        self._should_stop = should_stop
        last_data = time.monotonic()
        try:
            while not should_stop():
                if self._poll_tolerant(timeout=0.2):
                    last_data = time.monotonic()
                    if progress is not None:
                        progress(self.stats.events)
                elif idle_timeout is not None and time.monotonic() - last_data > idle_timeout:
                    return
        finally:
            self._should_stop = lambda: False  # retries of a later catch_up are not cut short

    def _take(self, timeout: float) -> list[Any]:
        """Up to `batch_size` messages: waits up to `timeout` for the first one only, then
        takes what is already fetched. (`consume(n, timeout)` would wait the whole timeout
        whenever fewer than n are there: up to 200 ms added to every live event.)"""
        first = self._consumer.poll(timeout)
        if first is None:
            return []
        return [first, *self._consumer.consume(num_messages=self.batch_size - 1, timeout=0)]

    def poll_once(self, timeout: float = 0.2) -> int:
        """Consume and project one batch; returns the number of events applied."""
        self.start()
        msgs = self._take(timeout)
        if not msgs:
            return 0
        batch = decode_batch(self.codec, msgs, self._trusted)
        events, offsets, letters = batch.events, batch.offsets, batch.letters
        decoded = len(letters)
        rows = self._commits.commit(events, offsets, letters, batch.sources,
                                    self.db_retry_timeout, self._should_stop, self.rewind)
        applied = len(events) - (len(letters) - decoded)  # less those the read model refused
        self.positions.update(offsets)
        for letter in letters:
            log.warning("dead letter from %s[%d]@%d: %s", letter.source_topic,
                        letter.source_partition, letter.source_offset, letter.reason)
            self.stats.dead_letters.append(letter)
            if self._on_dead_letter is not None:
                self._on_dead_letter(letter)
        self.stats.events += applied
        self.stats.rows += rows
        self.stats.batches += 1
        return applied

    def rewind(self) -> None:
        """Seek every assigned partition back to its last committed position."""
        try:
            assignment = self._consumer.assignment()
        except (KafkaException, RuntimeError):
            return
        for tp in assignment:
            position = self.positions.get((tp.topic, tp.partition))
            if position is None:
                continue
            try:
                self._consumer.seek(TopicPartition(tp.topic, tp.partition, position))
            except KafkaException as exc:  # not fetching yet: assign() positions it anyway
                log.debug("seek %s[%d] to %d: %s", tp.topic, tp.partition, position, exc)

    def _poll_tolerant(self, timeout: float) -> int:
        """`poll_once`, but a PostgreSQL outage that outlasts the retries is logged and
        waited out (the consumer was rewound), not raised."""
        try:
            return self.poll_once(timeout=timeout)
        except Exception as exc:
            if not is_transient_db_error(exc):
                raise
            log.warning("projector: PostgreSQL still unavailable (%s); re-reading from the "
                        "last committed offsets", first_line(exc))
            if not self._should_stop():
                time.sleep(BACKOFF[1])
            return 0

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = stored_offsets(self.engine, self.group)
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
            if self._poll_tolerant(timeout=0.2) and progress is not None:
                progress(self.stats.events)
