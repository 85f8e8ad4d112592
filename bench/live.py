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

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psutil
import sqlalchemy as sa

from backfill.helper_process import peak_rss_mb
from bench.stack import bench_env
from crm.bootstrap import Services
from domain.leads.messages import CaptureLead
from events.topics import COMMANDS, EVENT_PARTITIONS, EVENT_TOPICS
from kafka_client.offsets import log_ends
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


class Workers:
    """The core and projector worker subprocesses on the bench stack."""

    def __init__(self, services: Services) -> None:
        self.services = services
        home = services.settings.home
        env = bench_env(home)
        log_dir = services.settings.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for role in ("core", "projector"):
            log = (log_dir / f"bench-{role}.log").open("ab")
            self.procs[role] = subprocess.Popen(
                [sys.executable, "-m", "crm.cli", "run", "--role", role],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=os.getcwd())

    def check(self) -> None:
        for role, proc in self.procs.items():
            if proc.poll() is not None:
                log = self.services.settings.log_dir / f"bench-{role}.log"
                raise RuntimeError(f"the {role} worker exited with {proc.returncode}; "
                                   f"see {log}")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each worker and by the servers."""
        out = {role: _cpu(proc.pid) for role, proc in self.procs.items()}
        stack = self.services.stack
        out["postgres"] = _cpu(stack.pg_pid, children=True) if stack.pg_pid else 0.0
        out["broker"] = _cpu(stack.broker_pid) if stack.broker_pid else 0.0
        out["bench"] = _cpu(os.getpid())
        return out

    def peak_rss(self) -> dict[str, float]:
        return {role: peak_rss_mb(proc.pid) for role, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _cpu(pid: int, children: bool = False) -> float:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)] if children else [proc]
        total = 0.0
        for each in procs:
            with contextlib.suppress(psutil.Error):
                t = each.cpu_times()
                total += t.user + t.system
        return total
    except psutil.Error:
        return 0.0


def _visible(engine: sa.Engine, prefix: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM leads WHERE lead_id LIKE :p AND lead_grade IS NOT NULL"),
            {"p": prefix + "%"}).scalar_one()


def _wait_rows(engine: sa.Engine, prefix: str, expected: int, timeout: float,
               check: Callable[[], None]) -> None:
    deadline = time.monotonic() + timeout
    while _visible(engine, prefix) < expected:
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_visible(engine, prefix)} of {expected} {prefix}* rows "
                               f"visible after {timeout:.0f}s")
        time.sleep(0.1)


def _commit_times(engine: sa.Engine, prefix: str) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT lead_id, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 "
            "FROM leads WHERE lead_id LIKE :p"), {"p": prefix + "%"})
        return {lead_id: ts for lead_id, ts in rows}


def _last_event_times(services: Services, prefix: str, expected: int) -> dict[str, float]:
    """Per lead id, the producer timestamp (CreateTime, wall clock) of its last derived
    event on `crm.leads`: when the core had handed it to Kafka."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": services.bootstrap, "group.id": "crm-bench-probe",
                         "enable.auto.commit": False, **services.kafka_extra})
    ends = log_ends(services.bootstrap, [("crm.leads", p) for p in range(EVENT_PARTITIONS)],
                    services.kafka_extra)
    try:
        consumer.assign([TopicPartition("crm.leads", p, 0) for p in range(EVENT_PARTITIONS)])
        seen: dict[tuple[str, int], int] = {}
        out: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while any(seen.get(tp, 0) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                break
            for msg in consumer.consume(num_messages=10_000, timeout=0.5):
                if msg.error():
                    continue
                seen[(msg.topic(), msg.partition())] = msg.offset() + 1
                key = (msg.key() or b"").decode()
                if key.startswith(prefix):
                    ts = msg.timestamp()[1] / 1000
                    out[key] = max(out.get(key, 0.0), ts)
        return out
    finally:
        consumer.close()


def _event_total(services: Services) -> int:
    parts = [(t, p) for t in EVENT_TOPICS for p in range(EVENT_PARTITIONS)]
    return sum(log_ends(services.bootstrap, parts, services.kafka_extra).values())


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
            _wait_rows(engine, "LIVE-W-", len(warm), 120, workers.check)

            sent = _paced(producer, paced, rate)
            producer.flush()
            _wait_rows(engine, "LIVE-L-", len(paced), timeout, workers.check)
            span = max(sent.values()) - min(sent.values())
            committed = _commit_times(engine, "LIVE-L-")
            latencies = [(committed[k] - t) * 1000 for k, t in sent.items()]
            produced = _last_event_times(services, "LIVE-L-", len(paced))
            core_hop = [(produced[k] - t) * 1000 for k, t in sent.items() if k in produced]
            projector_hop = [(committed[k] - produced[k]) * 1000 for k in sent if k in produced]

            before = _event_total(services)
            cpu0 = workers.cpu_seconds()
            t_first = time.time()
            for lead_id, value in bursty:
                producer.send_raw(COMMANDS, lead_id, value, partition=0)
            producer.flush()
            _wait_rows(engine, "LIVE-B-", len(bursty), timeout, workers.check)
            burst_committed = _commit_times(engine, "LIVE-B-")
            wall = max(burst_committed.values()) - t_first
            cpu1 = workers.cpu_seconds()
            cpu_share = {k: (cpu1[k] - cpu0[k]) / (time.time() - t_first) for k in cpu0}
            events = _event_total(services) - before
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
