"""The offered load of the live bench: pre-encoded CaptureLead commands, produced at once
(a burst above capacity) or paced at a rate, and the percentiles of what they took."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from crm.bootstrap import Services
from domain.leads.messages import CaptureLead
from events.topics import COMMANDS
from producers.kafka import MessageProducer
from simulators.leads import lead_captures


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest-rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p90 and p99 of `values`, rounded to 0.1."""
    return {f"p{int(q * 100)}": round(percentile(values, q), 1) for q in (0.5, 0.9, 0.99)}


def quarters(values: list[float]) -> list[list[float]]:
    """`values` in four consecutive slices (a latency that grows shows as rising p50s)."""
    n = max(1, len(values) // 4)
    return [values[i:i + n] for i in range(0, n * 4, n)]


def falling_behind(quarter_p50s: list[float], floor_ms: float = 250.0) -> bool:
    """Whether a paced run's latency kept growing: its last quarter's p50 more than twice
    its first's (and above `floor_ms`, so jitter at small latencies is not a backlog). A
    rate the workers cannot sustain shows so even when it is below the burst's capacity
    (a burst batches more than paced traffic does)."""
    first, last = quarter_p50s[0], quarter_p50s[-1]
    return last > floor_ms and last > 2 * first


class Commands:
    """Pre-encoded CaptureLead commands with unique ids (built before the clock starts)."""

    def __init__(self, services: Services, start: datetime, seed: int = 7001,
                 distinct: int = 2000) -> None:
        self.codec = services.codec
        self.base = list(lead_captures(seed, start, distinct, spacing=timedelta(seconds=2)))
        self.start = start
        self.made = 0

    def take(self, count: int, tag: str) -> list[tuple[str, bytes]]:
        """`count` new commands: (lead id, wire bytes)."""
        out = []
        for _ in range(count):
            n = self.made
            self.made += 1
            base = self.base[n % len(self.base)]
            lead_id = f"LIVE-{tag}-{n:07d}"
            cmd: CaptureLead = base.model_copy(update={
                "event_id": f"live-{tag}-{n}", "aggregate_id": lead_id,
                "occurred_at": self.start + timedelta(milliseconds=n)})
            out.append((lead_id, self.codec.encode(cmd)))
        return out


def produce_all(producer: MessageProducer, commands: list[tuple[str, bytes]],
                topic: str = COMMANDS) -> float:
    """Produce every command at once (flushed); returns the wall time of the first send."""
    t_first = time.time()
    for key, value in commands:
        producer.send_raw(topic, key, value, partition=0)
    producer.flush()
    return t_first


def paced(producer: MessageProducer, commands: list[tuple[str, bytes]],
          rate: float) -> dict[str, float]:
    """Produce at `rate` commands/s; returns the wall time each was handed to the client."""
    sent: dict[str, float] = {}
    t0 = time.perf_counter()
    i = 0
    while i < len(commands):
        due = min(len(commands), int((time.perf_counter() - t0) * rate) + 1)
        while i < due:
            lead_id, value = commands[i]
            sent[lead_id] = time.time()
            producer.send_raw(COMMANDS, lead_id, value, partition=0)
            i += 1
        time.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
    producer.flush()
    return sent
