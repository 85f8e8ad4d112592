"""The projector process: event topics in, read tables out, offsets kept in PostgreSQL.

Consumer offsets never go to Kafka: each batch's rows and its next offsets commit in
one PostgreSQL transaction, and on (re)assignment the consumer seeks to the offsets
stored there. A crash anywhere loses nothing and applies nothing twice.

Messages that do not decode become dead letters: they are published to
`crm.dead-letter` and flushed *before* the batch's transaction commits, so a crash can
only repeat a dead letter, never lose one, and the projector keeps going. So do events
that decode but carry a value the read model refuses (projectors/refusals.py): the one
that fails the batch is found, set aside the same way, and the rest of the batch written.

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

from domain.kernel.messages import Event
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter
from events.topics import EVENT_TOPICS, PROJECTOR_GROUP
from kafka_client.offsets import log_ends
from producers.dead_letters import DeadLetterPublisher
from projectors.batches import in_runs, is_transient_db_error
from projectors.refusals import apply_setting_aside, refusal_reason, refused_by_the_read_model
from projectors.writer import apply_again, apply_events, load_offsets, save_offsets

log = logging.getLogger(__name__)
GROUP = PROJECTOR_GROUP
# Live projectors hold this advisory lock shared per batch; `crm rebuild` takes it
# exclusively to swap tables, so no batch can land in a table being swapped out.
PROJECTION_LOCK = 0x63726D5F70726A74  # b"crm_prjt"
# A batch is whatever is already fetched, up to this many events: one per poll when live,
# full batches when catching up, where larger batches fold more updates of one row into
# one write (20,000 vs 5,000: +20 % events/s, docs/benchmarks.md).
BATCH_SIZE = 20_000
DB_RETRY_TIMEOUT = 60.0  # per batch; stays well under librdkafka's max.poll.interval.ms
_BACKOFF = (0.2, 5.0)  # first and longest wait between attempts


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
        self.db_retry_timeout = DB_RETRY_TIMEOUT
        self._should_stop: Callable[[], bool] = lambda: False
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
        events: list[Event] = []
        sources: list[Any] = []  # the message of each event, for a dead letter
        letters: list[DeadLetter] = []
        offsets: dict[tuple[str, int], int] = {}
        for msg in msgs:
            if msg.error():
                log.warning("consumer error: %s", msg.error())
                continue
            offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
            try:
                event = self.codec.decode(msg.value())  # type: ignore[arg-type]
            except DecodeError as exc:
                letters.append(_letter(msg, str(exc)))
                continue
            events.append(event)
            sources.append(msg)
        decoded = len(letters)
        rows = self._write_with_retry(events, offsets, letters, sources)
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

    def _write(self, events: list[Event], offsets: dict[tuple[str, int], int]) -> int:
        """The batch's rows and its next offsets, committed together.

        A batch holding redelivered events is written as several runs (`in_runs`), each
        committed in turn and the offsets with the last: every commit is a state a
        one-event-at-a-time projector would have passed through, and a crash between
        them only re-reads the batch (the version guard skips what is already applied).
        """
        parts = in_runs(events) or [[]]
        rows = 0
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            rows += self._transaction(part, offsets if last else {})
        return rows

    def _transaction(self, events: list[Event], offsets: dict[tuple[str, int], int]) -> int:
        raw = self.engine.raw_connection()
        try:
            if self._take_lock:
                with raw.driver_connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (PROJECTION_LOCK,))
            rows = apply_events(raw.driver_connection, events)
            save_offsets(raw.driver_connection, self.group, offsets)
            raw.commit()
        except Exception as exc:
            if is_transient_db_error(exc):
                raw.invalidate()  # a dead connection must not go back to the pool
            else:
                raw.rollback()
            raise
        finally:
            raw.close()
        return rows

    def _write_with_retry(self, events: list[Event], offsets: dict[tuple[str, int], int],
                          letters: list[DeadLetter], sources: list[Any] | None = None) -> int:
        """Dead letters flushed, then `_write` retried with backoff while PostgreSQL is
        unreachable.

        A retry repeats the whole transaction (rows are version-guarded, offsets absolute),
        so a commit whose acknowledgement was lost is harmless. An event the read model
        refuses (with `sources`, the messages of `events`) is set aside as a dead letter,
        added to `letters`, and the rest written. On giving up (or any other error) the
        consumer is re-sought to the last committed positions first, so the batch is read
        again rather than skipped.
        """
        if letters:  # durable on Kafka before the offsets past them commit
            self.dead_letters.publish_all(letters)
            self.dead_letters.flush()
        started = time.monotonic()
        delay = _BACKOFF[0]
        while True:
            try:
                try:
                    return self._write(events, offsets)
                except Exception as exc:
                    if sources is None or not refused_by_the_read_model(exc):
                        raise
                    return self._write_setting_aside(events, offsets, sources, letters)
            except Exception as exc:
                waited = time.monotonic() - started
                if (not is_transient_db_error(exc) or waited + delay > self.db_retry_timeout
                        or self._should_stop()):
                    self.rewind()
                    raise
                log.warning("projector: waiting for PostgreSQL (%s); the batch of %d events "
                            "is not committed, retrying in %.1fs", _first_line(exc),
                            len(events), delay)
                time.sleep(delay)
                delay = min(delay * 2, _BACKOFF[1])

    def _write_setting_aside(self, events: list[Event], offsets: dict[tuple[str, int], int],
                             sources: list[Any], letters: list[DeadLetter]) -> int:
        """The batch without the events the read model refuses, and its offsets, in one
        transaction; the refused ones become dead letters (added to `letters`), flushed
        to Kafka before the offsets past them commit."""
        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        try:
            if self._take_lock:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (PROJECTION_LOCK,))
            rows, refused = apply_setting_aside(
                conn, events, lambda part: sum(apply_again(conn, run) for run in in_runs(part)))
            new = [_letter(sources[i], refusal_reason(events[i], exc)) for i, exc in refused]
            if new:
                self.dead_letters.publish_all(new)
                self.dead_letters.flush()
            save_offsets(conn, self.group, offsets)
            raw.commit()
        except Exception as exc:
            if is_transient_db_error(exc):
                raw.invalidate()
            else:
                raw.rollback()
            raise
        finally:
            raw.close()
        letters.extend(new)
        return rows

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
                        "last committed offsets", _first_line(exc))
            if not self._should_stop():
                time.sleep(_BACKOFF[1])
            return 0

    def _load_offsets(self) -> dict[tuple[str, int], int]:
        started = time.monotonic()
        delay = _BACKOFF[0]
        while True:
            raw = None
            try:
                raw = self.engine.raw_connection()
                return load_offsets(raw.driver_connection, self.group)
            except Exception as exc:
                if not is_transient_db_error(exc) or time.monotonic() - started > 300:
                    raise
                log.warning("projector: waiting for PostgreSQL to read the stored offsets "
                            "(%s); retrying in %.1fs", _first_line(exc), delay)
                if raw is not None:
                    raw.invalidate()
                time.sleep(delay)
                delay = min(delay * 2, _BACKOFF[1])
            finally:
                if raw is not None:
                    raw.close()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = self._load_offsets()
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


def _letter(msg: Any, reason: str) -> DeadLetter:
    """A consumed message as a dead letter: its bytes, key, origin and the reason."""
    return DeadLetter(msg.value() or b"", reason, msg.topic(), msg.partition(), msg.offset(),
                      msg.key())


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
