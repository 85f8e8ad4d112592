"""Live figures of a running CRM: events in the log and per second, how far the core and
the projector are behind, and how many dead letters wait.

One implementation for every place that shows them (`crm status`, the dashboard's
`GET /v1/status`). Everything is read from where the workers record their progress:
the log ends from the broker (fetch-response high watermarks, `kafka_client.offsets`,
right on Tansu too), the projector's committed offsets from `crm_meta.projector_offsets`
(committed in the same transaction as its rows), the core's from its consumer group.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, TopicPartition
from sqlalchemy.engine import Engine

from events.core_group import core_group_consumer, folded_inputs
from events.topics import (
    COMMANDS,
    DEAD_LETTER,
    EVENT_TOPICS,
    LIVE_FIGURES_GROUP,
    PROJECTOR_GROUP,
    TOPICS,
)
from kafka_client.offsets import partition_ends
from projectors.writer import load_offsets

if TYPE_CHECKING:
    from crm.config import Settings
    from localstack import StackInfo

EVENT_PARTITIONS = [(s.name, p) for s in TOPICS if s.name in EVENT_TOPICS
                    for p in range(s.partitions)]
DEAD_LETTER_PARTITIONS = [(s.name, p) for s in TOPICS if s.name == DEAD_LETTER
                          for p in range(s.partitions)]
RATE_WINDOW_S = 60.0  # events/s is the mean over (up to) the last minute of samples
FRESH_S = 2.0  # a sample younger than this is answered again (many tabs, one probe)


def projected_positions(engine: Engine) -> dict[tuple[str, int], int]:
    """The projector's committed next offset per (topic, partition), as its writer keeps
    them (with the rows, in one transaction)."""
    conn = engine.raw_connection()
    try:
        return load_offsets(conn, PROJECTOR_GROUP)  # type: ignore[arg-type]
    finally:
        conn.close()


def projected_offsets(engine: Engine) -> Callable[[], dict[str, int]]:
    """A function returning the projector's committed next offset per "topic/partition"."""

    def read() -> dict[str, int]:
        return {f"{t}/{p}": offset for (t, p), offset in projected_positions(engine).items()}

    return read


@dataclass(frozen=True)
class Figures:
    """One reading. `events_per_s` is None until two samples span a second."""

    at: float  # wall clock, seconds since the epoch
    events: int  # records on the event topics (derived events, rejections, ERP topics)
    events_per_s: float | None
    commands: int  # records on crm.commands
    core_lag: int  # commands the core has not yet folded (its committed offset)
    projector_lag: int  # events not yet in the read tables
    dead_letters: int  # records on crm.dead-letter

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)

    def describe(self) -> str:
        """One line for `crm status --live`."""
        rate = "" if self.events_per_s is None else f" ({self.events_per_s:g}/s)"
        return (f"{self.events:,} events{rate}, core lag {self.core_lag:,} commands, "
                f"projector lag {self.projector_lag:,} events, "
                f"{self.dead_letters:,} dead letters")


class LiveFigures:
    """Samples the figures on demand; keeps recent samples for the rate. Thread-safe."""

    def __init__(self, bootstrap: str, engine: Engine,
                 kafka_extra: dict[str, Any] | None = None) -> None:
        self._projected = projected_offsets(engine)
        config = {"bootstrap.servers": bootstrap, "enable.auto.commit": False,
                  **(kafka_extra or {})}
        # never subscribed: one reads high watermarks, the other the core's commits
        self._probe = Consumer({**config, "group.id": LIVE_FIGURES_GROUP})
        self._core = core_group_consumer(bootstrap, kafka_extra)
        self._lock = threading.Lock()
        self._samples: deque[tuple[float, int]] = deque()
        self._last: Figures | None = None

    def close(self) -> None:
        """Close the broker connections."""
        with self._lock:
            self._probe.close()
            self._core.close()

    def read(self) -> Figures:
        """The current figures (a sample younger than FRESH_S is reused)."""
        with self._lock:
            now = time.monotonic()
            if self._last is not None and self._samples and \
                    now - self._samples[-1][0] < FRESH_S:
                return self._last
            self._last = self._sample(now)
            return self._last

    def _sample(self, now: float) -> Figures:
        ends = partition_ends(self._probe, [*EVENT_PARTITIONS, (COMMANDS, 0),
                                            *DEAD_LETTER_PARTITIONS], timeout=10)
        events = sum(ends[tp] for tp in EVENT_PARTITIONS)
        projected = self._projected()
        projector_lag = sum(max(0, ends[(t, p)] - projected.get(f"{t}/{p}", 0))
                            for t, p in EVENT_PARTITIONS)
        dead = 0
        for topic, partition in DEAD_LETTER_PARTITIONS:
            low, _ = self._probe.get_watermark_offsets(TopicPartition(topic, partition),
                                                       timeout=10)
            dead += max(0, ends[(topic, partition)] - max(low, 0))
        committed = folded_inputs(self._core, timeout=10)
        commands = ends[(COMMANDS, 0)]
        return Figures(at=time.time(), events=events, events_per_s=self._rate(now, events),
                       commands=commands, core_lag=max(0, commands - committed),
                       projector_lag=projector_lag, dead_letters=dead)

    def _rate(self, now: float, events: int) -> float | None:
        self._samples.append((now, events))
        while now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        first_at, first = self._samples[0]
        if now - first_at < 1.0:
            return None
        return round((events - first) / (now - first_at), 1)


def snapshot(settings: Settings, stack: StackInfo) -> Figures:
    """One reading (no rate): what `crm status --live` shows."""
    from crm.bootstrap import Services

    services = Services(settings, stack)
    figures = LiveFigures(services.bootstrap, services.engine, services.kafka_extra)
    try:
        return figures.read()
    finally:
        figures.close()
        services.engine.dispose()
