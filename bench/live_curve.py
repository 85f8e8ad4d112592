"""The live path's latency curve: a burst (capacity), then paced phases at several rates,
each with its latency, its stages and the CPU of every process (docs/benchmarks.md,
session 7).

`crm bench` measures latency at two rates only (half the burst's capacity and a fixed
1,000/s); this shows how latency and CPU per process grow with the offered rate, on one
stack: 1 day of history at scale 1, 200 warm-up commands, a burst, then `seconds` at each
rate. `CRM_BENCH_WORKER_PYTHONPATH=<other checkout>` runs the workers of another commit
(a before/after in the same minutes). Prints one JSON line per phase; `--out` also writes
them all to a file.

    python -m bench.live_curve 100,300,500,700 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.live import burst_phase, paced_phase
from bench.live_load import Commands, produce_all
from bench.probes import wait_rows
from bench.run import Plan
from bench.stack import temp_stack
from bench.workers import Workers

TIMEOUT = 600.0


def _with_cpu(workers: Workers, phase: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `phase()` and add the CPU cores each process used meanwhile and the load."""
    t0, cpu0 = time.time(), workers.cpu_seconds()
    figures: dict[str, Any] = phase()
    elapsed, cpu1 = time.time() - t0, workers.cpu_seconds()
    figures["cpu_cores"] = {k: round((cpu1[k] - cpu0[k]) / elapsed, 2) for k in cpu0}
    figures["load_1m"] = round(os.getloadavg()[0], 2)
    return figures


def curve(rates: list[float], seconds: float, burst: int) -> list[dict[str, Any]]:
    """The burst's figures (unless `burst` is 0), then each paced rate's."""
    from rich.console import Console

    from backfill.generate import BackfillPlan
    from backfill.run import run_backfill
    from producers.kafka import MessageProducer

    plan, out = Plan(), []
    with temp_stack(prefix="crm-live-curve-", commit_timestamps=True) as services:
        history = BackfillPlan(1, plan.seed, plan.end_date, 1.0)
        with open(os.devnull, "w") as null:
            run_backfill(services, history, Console(file=null), plan.simulation)
        commands = Commands(services, history.end + timedelta(hours=1))
        workers = Workers(services)
        try:
            with MessageProducer(services.bootstrap, services.codec,
                                 services.kafka_extra) as producer:
                warm = commands.take(200, "W")
                produce_all(producer, warm)
                wait_rows(services.engine, "LIVE-W-", len(warm), TIMEOUT, workers.check)
                if burst:
                    cap = burst_phase(services, producer, workers,
                                      commands.take(burst, "B"), TIMEOUT)
                    out.append({"phase": "burst", **cap,
                                "capacity_per_s": cap["commands"] / cap["wall_s"]})
                    print(json.dumps(out[-1]), flush=True)
                for i, rate in enumerate(rates):
                    batch = commands.take(int(rate * seconds), f"P{i}")
                    phase = partial(paced_phase, services, producer, workers, batch, rate,
                                    f"P{i}", TIMEOUT)
                    out.append({"phase": f"{rate:g}/s", **_with_cpu(workers, phase)})
                    print(json.dumps(out[-1]), flush=True)
        finally:
            workers.stop()
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: the rates, seconds per rate, burst size, output file."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rates", help="commands/s, comma-separated (e.g. 100,300,500)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate (10)")
    parser.add_argument("--burst", type=int, default=10_000,
                        help="commands of the capacity burst; 0: none (10,000)")
    parser.add_argument("--out", type=Path, help="also write every phase to this JSON file")
    args = parser.parse_args(argv)
    phases = curve([float(r) for r in args.rates.split(",")], args.seconds, args.burst)
    if args.out:
        args.out.write_text(json.dumps(phases, indent=1, default=str))


if __name__ == "__main__":
    main()
