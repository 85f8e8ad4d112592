"""The live path over Kafka: `crm run --role core` (faust) + `crm run --role projector`.

Both workers run as real subprocesses on a bench stack, exactly as an operator starts them.
The offered load is CaptureLead commands (the CRM's highest-volume outside input), each a
new lead: its row in `leads` is complete once the LeadCaptured/LeadScored(/LeadAssigned)
events the core derives from it are projected.

Event-to-row latency is measured without touching the code under test: PostgreSQL runs
with `track_commit_timestamp = on`, so `pg_xact_commit_timestamp(xmin)` of a lead's row is
the wall time its final version became visible; the bench records the wall time just
before it produced the command. Both clocks are this machine's.

Two measurements:
- latency: a paced load of `rate` commands/s for `seconds`; percentiles of
  (row visible - command produced) over every command;
- throughput: `burst` commands produced at once; derived events projected per second from
  the first produce to the last row's commit (what the two workers sustain together).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.probes import commit_times, event_total, last_event_times, wait_rows
from bench.workers import Workers
from crm.bootstrap import Services
from domain.leads.messages import CaptureLead
from events.topics import COMMANDS
from producers.kafka import MessageProducer
from simulators.leads import lead_captures


@dataclass
class LiveResult:
    """Figures of the live path."""

    offered_per_s: float
    latency_commands: int
    achieved_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    burst_commands: int
    burst_events: int
    burst_wall_s: float
    events_per_s: float
    commands_per_s: float
    core_peak_rss_mb: float
    projector_peak_rss_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest-rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def _quantiles(values: list[float]) -> dict[str, float]:
    return {f"p{int(q * 100)}": round(percentile(values, q), 1) for q in (0.5, 0.9, 0.99)}


def _quarters(values: list[float]) -> list[list[float]]:
    n = max(1, len(values) // 4)
    return [values[i:i + n] for i in range(0, n * 4, n)]


class _Commands:
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


def _paced(producer: MessageProducer, commands: list[tuple[str, bytes]],
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
    return sent


def run_live(services: Services, rate: float = 1000.0, seconds: float = 20.0,
             burst: int = 30_000, start: datetime | None = None,
             warmup: int = 200, timeout: float = 300.0,
             trace: dict[str, Any] | None = None) -> LiveResult:
    """Start both workers, warm them up, measure latency then throughput, stop them."""
    start = start or datetime.now().astimezone()
    commands = _Commands(services, start)
    warm = commands.take(warmup, "W")
    paced = commands.take(int(rate * seconds), "L")
    bursty = commands.take(burst, "B")
    engine = services.engine
    workers = Workers(services)
    extra = services.kafka_extra
    try:
        with MessageProducer(services.bootstrap, services.codec, extra) as producer:
            for lead_id, value in warm:  # both workers joined their groups and are hot
                producer.send_raw(COMMANDS, lead_id, value, partition=0)
            producer.flush()
            wait_rows(engine, "LIVE-W-", len(warm), 120, workers.check)

            sent = _paced(producer, paced, rate)
            producer.flush()
            wait_rows(engine, "LIVE-L-", len(paced), timeout, workers.check)
            span = max(sent.values()) - min(sent.values())
            committed = commit_times(engine, "LIVE-L-")
            latencies = [(committed[k] - t) * 1000 for k, t in sent.items()]
            produced = last_event_times(services, "LIVE-L-", len(paced))
            core_hop = [(produced[k] - t) * 1000 for k, t in sent.items() if k in produced]
            projector_hop = [(committed[k] - produced[k]) * 1000 for k in sent if k in produced]

            before = event_total(services)
            cpu0 = workers.cpu_seconds()
            t_first = time.time()
            for lead_id, value in bursty:
                producer.send_raw(COMMANDS, lead_id, value, partition=0)
            producer.flush()
            wait_rows(engine, "LIVE-B-", len(bursty), timeout, workers.check)
            burst_committed = commit_times(engine, "LIVE-B-")
            wall = max(burst_committed.values()) - t_first
            cpu1 = workers.cpu_seconds()
            cpu_share = {k: (cpu1[k] - cpu0[k]) / (time.time() - t_first) for k in cpu0}
            events = event_total(services) - before
        rss = workers.peak_rss()
    finally:
        workers.stop()
    if trace is not None:
        trace.update(sent=sent, produced=produced, committed=committed)
    return LiveResult(
        offered_per_s=rate,
        latency_commands=len(latencies),
        achieved_per_s=len(paced) / span if span else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
        burst_commands=len(bursty),
        burst_events=events,
        burst_wall_s=wall,
        events_per_s=events / wall,
        commands_per_s=len(bursty) / wall,
        core_peak_rss_mb=rss["core"],
        projector_peak_rss_mb=rss["projector"],
        extra={"burst_cpu_cores": {k: round(v, 2) for k, v in cpu_share.items()},
               "core_hop_ms": _quantiles(core_hop),
               "projector_hop_ms": _quantiles(projector_hop),
               "latency_by_quarter_p50_ms": [
                   round(percentile(q, 0.5), 1) for q in _quarters(latencies)]},
    )
