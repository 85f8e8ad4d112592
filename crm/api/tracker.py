"""What became of the API's commands: a thread tailing the event topics.

Every event the core derives carries the input's id as `causation_id`; a refused input
derives one `CommandRejected` (topic `crm.rejections`) naming it. The tracker reads the
event topics (no consumer group: it assigns partitions and keeps no offsets), and for a
command it watches records the event id and position, or the rejection's reason, in
`crm_api.commands`. On start it watches the commands still pending and reads from just
before the oldest of them was submitted, so a restarted server misses no outcome.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from confluent_kafka import OFFSET_END, Consumer, TopicPartition
from sqlalchemy.engine import Engine

from crm.api import store
from domain.system import CommandRejected
from events.codec import AvroCodec, DecodeError
from events.topics import EVENT_PARTITIONS, EVENT_TOPICS

log = logging.getLogger(__name__)
WATCH_LIMIT = 100_000  # commands remembered; the oldest are dropped past this
LOOKBACK = timedelta(seconds=30)  # read this much before the oldest pending submission


class Tracker:
    """Tails the event topics in a daemon thread; `watch` a command before sending it."""

    def __init__(self, engine: Engine, bootstrap: str, codec: AvroCodec,
                 extra: dict[str, object] | None = None) -> None:
        self._engine = engine
        self._codec = codec
        self._conf = {"bootstrap.servers": bootstrap, "group.id": "crm-api-tracker",
                      "enable.auto.commit": False, **(extra or {})}
        self._watched: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._since: datetime | None = None
        self._thread = threading.Thread(target=self._run, name="crm-api-tracker", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start tailing; returns once the partitions are assigned."""
        pending, oldest = store.pending_since(self._engine)
        for command_id in pending:
            self.watch(command_id)
        self._since = oldest - LOOKBACK if oldest is not None else None
        self._thread.start()
        if not self._ready.wait(timeout):
            log.warning("api tracker: partitions not assigned after %.0fs", timeout)

    def stop(self) -> None:
        """Stop the thread (at the next poll)."""
        self._stop.set()
        self._thread.join(10)

    def watch(self, command_id: str) -> None:
        """Record the outcome of this command when its events appear."""
        with self._lock:
            self._watched[command_id] = None
            self._watched.move_to_end(command_id)
            while len(self._watched) > WATCH_LIMIT:
                self._watched.popitem(last=False)

    def _watching(self, command_id: str | None) -> bool:
        with self._lock:
            return command_id is not None and command_id in self._watched

    def _partitions(self, consumer: Consumer, since: datetime | None) -> list[TopicPartition]:
        parts = [TopicPartition(t, p) for t in EVENT_TOPICS for p in range(EVENT_PARTITIONS)]
        if since is None:
            return [TopicPartition(tp.topic, tp.partition, OFFSET_END) for tp in parts]
        millis = int(since.timestamp() * 1000)
        found = consumer.offsets_for_times(
            [TopicPartition(tp.topic, tp.partition, millis) for tp in parts], timeout=30)
        # -1 (no record at or after the time) means: from the end
        return [TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0
                               else OFFSET_END) for tp in found]

    def _run(self) -> None:
        consumer = Consumer(self._conf)
        try:
            consumer.assign(self._partitions(consumer, self._since))
            self._ready.set()
            while not self._stop.is_set():
                for msg in consumer.consume(500, timeout=0.2):
                    if msg.error() is None:
                        self._seen(msg.topic(), msg.partition(), msg.offset(), msg.value())
        except Exception:  # the server keeps serving; statuses then stay pending
            log.exception("api tracker stopped")
        finally:
            self._ready.set()
            consumer.close()

    def _seen(self, topic: str, partition: int, offset: int, value: bytes) -> None:
        try:
            event = self._codec.decode(value)
        except DecodeError:
            return  # a dead letter for the projector to report, not ours
        if isinstance(event, CommandRejected):
            command_id, reason = event.command_id, event.reason
        else:
            command_id, reason = event.causation_id, None
        if not self._watching(command_id):
            return
        assert command_id is not None
        store.record_event(self._engine, command_id, event.event_id, f"{topic}/{partition}",
                           offset, reason)
