"""The live path over Kafka: `crm run --role core` (faust) + `crm run --role projector`.

Both workers run as real subprocesses on a bench stack, exactly as an operator starts them.
The offered load is CaptureLead commands (the CRM's highest-volume outside input), each a
new lead: its row in `leads` is complete once the events the core derives from it are
projected.

Command-to-row latency is measured without touching the code under test: PostgreSQL runs
with `track_commit_timestamp = on`, so `pg_xact_commit_timestamp(xmin)` of a lead's row is
the wall time its final version became visible; the bench records the wall time just
before it produced the command. Both clocks are this machine's.

The phases, in one run on one stack (issue 18 asks for ratios measured together):
1. capacity: `burst` commands produced at once, far above what the workers take; derived
   events projected per second from the first produce to the last row's commit is what
   the two workers sustain at saturation (`capacity_events_per_s`);
2. latency at half that capacity, paced, for `seconds` (`half`);
3. latency at the fixed `rate` (1,000 commands/s by default) for `seconds`, flagged
   `over_capacity` when that rate is above the capacity measured in phase 1, or when its
   latency kept growing through the run (`falling_behind`: paced traffic batches less
   than a burst, so a rate below the burst's capacity can still build a backlog);
4. with the workers stopped: the in-process rules on the burst's very inputs
   (bench/live_rules.py; `efficiency` = capacity / their events/s) and the pass-through
   baselines on the burst's very bytes (bench/passthrough.py).

Rates depend on the CPU the machine's other load leaves; CPU per input does much less:
`cpu_efficiency` = the rules' CPU per input in-process / the core worker's during the
burst (less what it burns idle), the load-proof form of `efficiency`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.arrivals import Arrivals, stages
from bench.live_load import (
    Commands,
    falling_behind,
    paced,
    percentile,
    produce_all,
    quantiles,
    quarters,
)
from bench.live_rules import rules_on_same_inputs
from bench.passthrough import RUNTIMES, idle_cores, measure
from bench.probes import commit_times, event_ends, events_since, last_event_times, wait_rows
from bench.workers import Workers
from crm.bootstrap import Services
from events.topics import COMMANDS
from kafka_client.offsets import log_ends
from producers.kafka import MessageProducer

__all__ = ["LiveResult", "burst_phase", "paced_phase", "percentile", "run_live"]


@dataclass
class LiveResult:
    """Figures of the live path (latency fields: the fixed-rate phase)."""

    offered_per_s: float
    latency_commands: int
    achieved_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    over_capacity: bool
    burst_commands: int
    burst_events: int
    burst_wall_s: float
    events_per_s: float  # = capacity_events_per_s (the burst)
    commands_per_s: float
    core_peak_rss_mb: float
    projector_peak_rss_mb: float
    half: dict[str, Any] = field(default_factory=dict)
    same_inputs: dict[str, Any] = field(default_factory=dict)
    efficiency: float = 0.0
    cpu_efficiency: float = 0.0  # rules' CPU per input / the core worker's (load-proof)
    passthrough: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def paced_phase(services: Services, producer: MessageProducer, workers: Workers,
                 commands: list[tuple[str, bytes]], rate: float, tag: str,
                 timeout: float) -> dict[str, Any]:
    """Latency of `commands` produced at `rate`/s: command -> row, and both hops."""
    prefix = f"LIVE-{tag}-"
    with Arrivals(services.bootstrap, prefix, services.kafka_extra) as arrivals:
        sent = paced(producer, commands, rate)
        wait_rows(services.engine, prefix, len(commands), timeout, workers.check)
    span = max(sent.values()) - min(sent.values())
    committed = commit_times(services.engine, prefix)
    latencies = [(committed[k] - t) * 1000 for k, t in sent.items()]
    produced = last_event_times(services, prefix, len(commands))
    core_hop = [(produced[k] - t) * 1000 for k, t in sent.items() if k in produced]
    projector_hop = [(committed[k] - produced[k]) * 1000 for k in sent if k in produced]
    return {"offered_per_s": rate, "commands": len(commands),
            "achieved_per_s": len(commands) / span if span else 0.0,
            "p50_ms": percentile(latencies, 0.5), "p90_ms": percentile(latencies, 0.9),
            "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies),
            "core_hop_ms": quantiles(core_hop), "projector_hop_ms": quantiles(projector_hop),
            "stages_ms": stages(sent, arrivals, produced, committed),
            "latency_by_quarter_p50_ms": [round(percentile(q, 0.5), 1)
                                          for q in quarters(latencies)]}


def burst_phase(services: Services, producer: MessageProducer, workers: Workers,
           commands: list[tuple[str, bytes]], timeout: float) -> dict[str, Any]:
    """Capacity: every command at once; events projected per second until the last row."""
    before = event_ends(services)
    idle = idle_cores(workers.procs["core"].pid)
    workers.spy()
    cpu0 = workers.cpu_seconds()
    t_first = produce_all(producer, commands)
    wait_rows(services.engine, "LIVE-B-", len(commands), timeout, workers.check)
    workers.unspy()
    wall = max(commit_times(services.engine, "LIVE-B-").values()) - t_first
    cpu1 = workers.cpu_seconds()
    elapsed = time.time() - t_first
    events = events_since(services, before)
    return {"commands": len(commands), "events": events, "wall_s": wall,
            "cpu_cores": {k: round((cpu1[k] - cpu0[k]) / elapsed, 2) for k in cpu0},
            "core_cpu_us_per_input":
                (cpu1["core"] - cpu0["core"] - idle * elapsed) / len(commands) * 1e6}


def run_live(services: Services, rate: float = 1000.0, seconds: float = 20.0,
             burst: int = 30_000, start: datetime | None = None,
             warmup: int = 200, timeout: float = 600.0, passthrough: bool = True) -> LiveResult:
    """Start both workers, warm them up, measure capacity then latency, stop them; then
    the in-process rules and the pass-through baselines on the burst's inputs."""
    commands = Commands(services, start or datetime.now().astimezone())
    warm = commands.take(warmup, "W")
    bursty = commands.take(burst, "B")
    workers = Workers(services)
    try:
        with MessageProducer(services.bootstrap, services.codec,
                             services.kafka_extra) as producer:
            produce_all(producer, warm)  # both workers joined their groups and are hot
            wait_rows(services.engine, "LIVE-W-", len(warm), timeout, workers.check)
            first = log_ends(services.bootstrap, [(COMMANDS, 0)],
                             services.kafka_extra)[(COMMANDS, 0)]
            cap = burst_phase(services, producer, workers, bursty, timeout)
            capacity = cap["commands"] / cap["wall_s"]
            half_rate = capacity / 2
            half = paced_phase(services, producer, workers,
                                commands.take(max(1, int(half_rate * seconds)), "H"),
                                half_rate, "H", timeout)
            fixed = paced_phase(services, producer, workers,
                                 commands.take(int(rate * seconds), "L"), rate, "L", timeout)
        rss = workers.peak_rss()
    finally:
        workers.stop()
    same = rules_on_same_inputs(services, first, len(bursty))
    events_per_s = cap["events"] / cap["wall_s"]
    fanout = cap["events"] / cap["commands"]  # records out per input, as the core's
    baselines = {rt: dataclasses.asdict(measure(services, rt, bursty, fanout))
                 for rt in (RUNTIMES if passthrough else ())}
    return LiveResult(
        offered_per_s=rate, latency_commands=fixed["commands"],
        achieved_per_s=fixed["achieved_per_s"], p50_ms=fixed["p50_ms"],
        p90_ms=fixed["p90_ms"], p99_ms=fixed["p99_ms"], max_ms=fixed["max_ms"],
        over_capacity=rate > capacity or falling_behind(fixed["latency_by_quarter_p50_ms"]),
        burst_commands=cap["commands"], burst_events=cap["events"], burst_wall_s=cap["wall_s"],
        events_per_s=events_per_s, commands_per_s=capacity,
        core_peak_rss_mb=rss["core"], projector_peak_rss_mb=rss["projector"],
        half=half, same_inputs=dataclasses.asdict(same),
        efficiency=events_per_s / same.rules_events_per_s,
        cpu_efficiency=same.rules_s / same.inputs / (cap["core_cpu_us_per_input"] / 1e6),
        passthrough=baselines,
        extra={"burst_cpu_cores": cap["cpu_cores"],
               "core_cpu_us_per_input": round(cap["core_cpu_us_per_input"], 1),
               "rules_cpu_us_per_input": round(same.rules_s / same.inputs * 1e6, 1),
               "processor_cpu_us_per_input": round(same.processor_s / same.inputs * 1e6, 1),
               "core_hop_ms": fixed["core_hop_ms"],
               "projector_hop_ms": fixed["projector_hop_ms"],
               "stages_ms": fixed["stages_ms"],
               "latency_by_quarter_p50_ms": fixed["latency_by_quarter_p50_ms"]},
    )
