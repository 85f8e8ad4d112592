"""What became of the API's commands: a thread tailing `crm.commands` and the event topics.

Every event the core derives carries the input's id as `causation_id`; a refused input
derives one `CommandRejected` (topic `crm.rejections`) naming it. The events of one
command reach the tracker at different times (several topics and partitions), so it
writes an outcome to `crm_api.commands` only once it is complete (api/completion.py):
a rejection at once; `applied` once the core's group has committed past the command's
offset on `crm.commands` and the tracker has read the event topics up to their ends as
they were after that commit, i.e. with every derived event id; but `dead_lettered`, with
the letter's reason, when the core derived nothing because it set the command aside on
`crm.dead-letter` (asked through `crm dlq list`'s reader, only for such commands).

No consumer group: it assigns partitions and keeps no offsets. On start it watches the
commands still pending and reads from just before the oldest of them was submitted, so a
restarted server misses no outcome. It also prunes rows older than the retention
(`CRM_API_RETENTION_DAYS`, default 7) at start and hourly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta

from confluent_kafka import Consumer, Message, TopicPartition
from sqlalchemy.engine import Engine

from api import store
from api.completion import Completion, DeadLetters, Outcome, Partition
from domain.kernel.system import CommandRejected
from events.codec import AvroCodec, DecodeError
from events.core_group import core_group_consumer, folded_inputs
from events.topics import (
    API_PROBE_GROUP,
    API_TRACKER_GROUP,
    COMMANDS,
    EVENT_PARTITIONS,
    EVENT_TOPICS,
)
from kafka_client.offsets import partition_ends
from operations.dead_letters import list_dead_letters

log = logging.getLogger(__name__)
WATCH_LIMIT = 100_000  # commands remembered; the oldest are dropped past this
LOOKBACK = timedelta(seconds=30)  # read this much before the oldest pending submission
COMMIT_POLL_S = 0.25  # how often the core's committed offset is asked, while needed
PRUNE_EVERY_S = 3600.0
RETENTION_VARIABLE = "CRM_API_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 7.0
EVENT_PARTS: list[Partition] = [(t, p) for t in EVENT_TOPICS for p in range(EVENT_PARTITIONS)]


def retention_from_environment() -> timedelta:
    """CRM_API_RETENTION_DAYS (default 7; fractions allowed) as a timedelta."""
    raw = os.environ.get(RETENTION_VARIABLE, "").strip()
    days = float(raw) if raw else DEFAULT_RETENTION_DAYS
    if days <= 0:
        raise ValueError(f"{RETENTION_VARIABLE} must be a positive number of days")
    return timedelta(days=days)


class Tracker:
    """Tails the topics in a daemon thread; `watch` a command before sending it."""

    def __init__(self, engine: Engine, bootstrap: str, codec: AvroCodec,
                 extra: dict[str, object] | None = None,
                 retention: timedelta | None = None) -> None:
        self._engine = engine
        self._codec = codec
        self._bootstrap, self._extra = bootstrap, dict(extra or {})
        self._conf = {"bootstrap.servers": bootstrap, "enable.auto.commit": False,
                      **self._extra}
        self._retention = retention or retention_from_environment()
        self._completion = Completion()  # the tracker thread's alone
        self._watched: OrderedDict[str, str] = OrderedDict()  # command id -> aggregate id
        self._keys: dict[str, int] = {}  # aggregate ids watched (crm.commands' keys)
        self._new: list[tuple[str, str]] = []  # watched by request threads, not yet taken
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._since: datetime | None = None
        self._thread = threading.Thread(target=self._run, name="crm-api-tracker", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Prune, then start tailing; returns once the partitions are assigned."""
        self.prune()
        pending, oldest = store.pending_since(self._engine)
        for command_id, aggregate_id in pending:
            self.watch(command_id, aggregate_id)
        self._since = oldest - LOOKBACK if oldest is not None else None
        self._thread.start()
        if not self._ready.wait(timeout):
            log.warning("api tracker: partitions not assigned after %.0fs", timeout)

    def stop(self) -> None:
        """Stop the thread (at the next poll)."""
        self._stop.set()
        self._thread.join(10)

    def watch(self, command_id: str, aggregate_id: str) -> None:
        """Record the outcome of this command (keyed `aggregate_id` on crm.commands)."""
        with self._lock:
            self._new.append((command_id, aggregate_id))

    def prune(self) -> int:
        """Delete the rows submitted longer ago than the retention; how many."""
        removed = store.prune(self._engine, datetime.now(UTC) - self._retention)
        if removed:
            log.info("api tracker: pruned %d command rows older than %s", removed,
                     self._retention)
        return removed

    def _take_new(self) -> None:
        """Move the new watches into the tracker thread's state (after a consume, so a
        command sent after its watch is known before its record is looked at)."""
        with self._lock:
            new, self._new = self._new, []
        for command_id, aggregate_id in new:
            if command_id in self._watched:
                continue
            self._watched[command_id] = aggregate_id
            self._keys[aggregate_id] = self._keys.get(aggregate_id, 0) + 1
            self._completion.watch(command_id)
        while len(self._watched) > WATCH_LIMIT:
            self._unwatch(next(iter(self._watched)))

    def _unwatch(self, command_id: str) -> None:
        aggregate_id = self._watched.pop(command_id, None)
        if aggregate_id is not None:
            left = self._keys.pop(aggregate_id) - 1
            if left:
                self._keys[aggregate_id] = left
        self._completion.forget(command_id)

    def _start_offsets(self, probe: Consumer) -> list[TopicPartition]:
        """Explicit offsets (never OFFSET_END: the completion needs to know them)."""
        parts = [*EVENT_PARTS, (COMMANDS, 0)]
        ends = partition_ends(probe, parts)
        starts = dict(ends)
        if self._since is not None:
            millis = int(self._since.timestamp() * 1000)
            found = probe.offsets_for_times(
                [TopicPartition(t, p, millis) for t, p in parts], timeout=30)
            for tp in found:  # -1: no record at or after the time, i.e. from the end
                if tp.offset >= 0:
                    starts[(tp.topic, tp.partition)] = tp.offset
        for part, offset in starts.items():
            self._completion.consumed(part, offset)
        return [TopicPartition(t, p, offset) for (t, p), offset in starts.items()]

    def _run(self) -> None:
        consumer = Consumer({**self._conf, "group.id": API_TRACKER_GROUP})
        probe = Consumer({**self._conf, "group.id": API_PROBE_GROUP})
        core = core_group_consumer(self._bootstrap, self._extra)  # reads its commits
        try:
            assigned = self._start_offsets(probe)
            consumer.assign(assigned)
            self._ready.set()
            last_commit_poll = last_prune = time.monotonic()
            while not self._stop.is_set():
                batch = consumer.consume(500, timeout=0.2)
                self._take_new()
                for msg in batch:
                    if msg.error() is None:
                        self._read(msg)
                for tp in consumer.position(assigned) if batch else ():
                    if tp.offset >= 0:
                        self._completion.consumed((tp.topic, tp.partition), tp.offset)
                now = time.monotonic()
                ask = now - last_commit_poll >= COMMIT_POLL_S
                if ask:
                    last_commit_poll = now
                self._settle(
                    (lambda: folded_inputs(core, timeout=10)) if ask else None,
                    lambda: partition_ends(probe, EVENT_PARTS, timeout=10))
                if now - last_prune >= PRUNE_EVERY_S:
                    last_prune = now
                    self.prune()
        except Exception:  # the server keeps serving; statuses then stay pending
            log.exception("api tracker stopped")
        finally:
            self._ready.set()
            for c in (consumer, probe, core):
                c.close()

    def _settle(self, committed: Callable[[], int] | None,
                ends: Callable[[], Mapping[Partition, int]],
                dead_letters: DeadLetters | None = None) -> None:
        """Ask the core's committed offset (when `committed` is given and a command waits
        for it), then record every outcome now complete (`dead_letters`: default, the
        dead-letter topic)."""
        if committed is not None and self._completion.needs_commit():
            self._completion.core_committed(committed(), ends)
        for outcome in self._completion.complete(dead_letters or self._dead_letters):
            self._record(outcome)

    def _dead_letters(self, offsets: Collection[int]) -> dict[int, str]:
        """The core's dead letters of these crm.commands offsets: offset -> reason. Read
        whole from the topic (it only holds what something refused), and only for a
        finished command that derived no event, which is rare."""
        wanted = set(offsets)
        return {e.letter.source_offset: e.letter.reason
                for e in list_dead_letters(self._bootstrap, self._extra, limit=None,
                                           source_topic=COMMANDS)
                if e.letter.source_partition == 0 and e.letter.source_offset in wanted}

    def _read(self, msg: Message) -> None:
        topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
        self._completion.consumed((topic, partition), offset + 1)
        if topic == COMMANDS:
            key = msg.key()
            if key is None or key.decode(errors="replace") not in self._keys:
                return  # not one of ours: no need to decode it
        try:
            message = self._codec.decode(msg.value())
        except DecodeError:
            return  # a dead letter for the core or the projector to report, not ours
        if topic == COMMANDS:
            self._completion.command_read(message.event_id, offset)
        elif isinstance(message, CommandRejected):
            outcome = self._completion.rejection_read(message.command_id, message.reason)
            if outcome is not None:
                self._record(outcome)
        elif message.causation_id is not None:
            self._completion.event_read(message.causation_id, message.event_id,
                                        (topic, partition), offset)

    def _record(self, outcome: Outcome) -> None:
        store.record_outcome(self._engine, outcome)
        self._unwatch(outcome.command_id)
