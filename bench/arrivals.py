"""When each record of the paced phases became readable on the broker, for the stages of
command -> row (bench/live.py): a consumer thread of the bench's own tails `crm.commands`
and `crm.leads` while the commands are produced and records the wall time it first saw
each lead's command and the last of its derived events.

Tansu keeps no broker time (it ignores `LogAppendTime`), so "readable" is when this probe
received the record. The probe waits for the first record of a fetch and stamps it and the
rest already fetched with that moment (`receive`): waiting for a count of records instead
returns only at the timeout, up to that long late. Its fetch wait (`PROBE_FETCH_WAIT_MS`)
is what is left: Tansu answers a fetch only after the wait has passed, so a record is up
to one wait late (moved from the stage before it to the stage after), and each wait costs
the broker a pass over the probe's partitions (docs/benchmarks.md, session 7).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from confluent_kafka import Consumer, Message, TopicPartition

from bench.live_load import percentile, quantiles
from events.topics import COMMANDS, EVENT_PARTITIONS
from kafka_client.offsets import log_ends

LEADS = "crm.leads"
PROBE_FETCH_WAIT_MS = 10
WAIT_S = 0.05  # how long one wait for a record lasts before the stop flag is looked at
DRAIN = 10_000


class _Consumes(Protocol):
    def consume(self, num_messages: int = ..., timeout: float = ...) -> Sequence[Message]: ...


def receive(consumer: _Consumes, wait_s: float = WAIT_S) -> tuple[float, list[Message]]:
    """The records a consumer has received, and when: waits up to `wait_s` for the first
    (librdkafka returns as soon as it is there), takes the time, then drains what is
    already fetched without waiting (it came in the same or an earlier fetch)."""
    first = consumer.consume(num_messages=1, timeout=wait_s)
    now = time.time()
    if not first:
        return now, []
    return now, [*first, *consumer.consume(num_messages=DRAIN, timeout=0)]


class Arrivals:
    """A consumer thread timing the arrival of `prefix`-keyed commands and lead events
    (read_committed, as the workers read); `with` starts it at the log ends, leaving
    it stops it."""

    _consumer: Consumer

    def __init__(self, bootstrap: str, prefix: str, extra: dict[str, Any] | None = None) -> None:
        self.prefix = prefix.encode()
        self.commands: dict[str, float] = {}
        self.events: dict[str, float] = {}  # the last derived event of each lead
        self._stop = threading.Event()
        self._bootstrap, self._extra = bootstrap, extra
        self._thread = threading.Thread(target=self._run, name="arrivals", daemon=True)

    def __enter__(self) -> Arrivals:
        self._consumer = Consumer({
            "bootstrap.servers": self._bootstrap, "group.id": "crm-bench-arrivals",
            "enable.auto.commit": False, "fetch.wait.max.ms": PROBE_FETCH_WAIT_MS,
            "isolation.level": "read_committed", **(self._extra or {})})
        parts = [(COMMANDS, 0)] + [(LEADS, p) for p in range(EVENT_PARTITIONS)]
        ends = log_ends(self._bootstrap, parts, self._extra)
        self._consumer.assign([TopicPartition(t, p, ends[(t, p)]) for t, p in parts])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.record(*receive(self._consumer))

    def record(self, now: float, msgs: Sequence[Message]) -> None:
        """Note `msgs` received at `now`: a command's first sight, a lead's last event."""
        prefix = self.prefix
        for msg in msgs:
            key = msg.key()
            if msg.error() or not key or not key.startswith(prefix):
                continue
            if msg.topic() == COMMANDS:
                self.commands.setdefault(key.decode(), now)
            else:
                self.events[key.decode()] = now


def stages(sent: dict[str, float], arrivals: Arrivals, created: dict[str, float],
           committed: dict[str, float]) -> dict[str, dict[str, float]]:
    """Each lead's command -> row split at the times known: `sent` (the bench handed it
    to its producer), the command readable, its last derived event created (producer
    timestamp: the core worker handed it over), that event readable, its row committed.
    Per stage p50/p90/p99 in ms over all commands, and `at_p99`: each stage's median
    over the commands whose whole latency is at or above the p99 (where the tail goes)."""
    names = ("to_log", "core", "core_send", "projector")
    rows: list[tuple[float, ...]] = []
    for key, t0 in sent.items():
        times = (t0, arrivals.commands.get(key), created.get(key), arrivals.events.get(key),
                 committed.get(key))
        if None in times:
            continue
        marks: list[float] = [t for t in times if t is not None]
        rows.append(tuple((b - a) * 1000 for a, b in zip(marks, marks[1:], strict=False)))
    if not rows:
        return {}
    out = {name: quantiles([r[i] for r in rows]) for i, name in enumerate(names)}
    totals = sorted(sum(r) for r in rows)
    tail = [r for r in rows if sum(r) >= totals[int(0.99 * (len(totals) - 1))]]
    out["at_p99"] = {name: round(percentile([r[i] for r in tail], 0.5), 1)
                     for i, name in enumerate(names)}
    out["timed"] = {"commands": float(len(rows))}
    return out
