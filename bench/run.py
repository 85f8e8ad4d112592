"""`crm bench`: throughput, latency and memory of the CRM core, measured on this machine.

Everything runs on embedded stacks of its own, in temporary CRM_HOMEs (a fresh clone
needs nothing else), and every ratio is measured within the run:

1. stages, on a sample of simulated history: Avro encode/decode per event mix, the
   in-process rules runtime, and the projector write path against a plain COPY of the
   same rows;
2. backfill: the full `crm backfill` (generate, publish, project, archive) in a
   subprocess on a fresh stack, then the COPY floor of the rows it wrote;
3. scaling: the same at `--scale` 0.25, 1 and 4 (each its own process and stack);
4. live: `crm run --role core` (faust) and `crm run --role projector` as subprocesses on
   a stack holding a few days of history; a burst of CaptureLead commands gives the
   capacity, paced loads at half of it and at a fixed rate the latency percentiles; the
   in-process rules and bare pass-through agents on the same inputs give the ratios of
   issue 18 (bench/live.py).

`main()` prints a table (or, with `json_output`, one JSON object) and returns the figures.
Targets come from issue 7 (bench/report.py); the figures measured are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.machine import machine, versions
from bench.report import jsonable, live_to_passthrough, print_report, scaling_entry, targets

END_DATE = date(2026, 1, 31)  # fixed, so that runs on different days are comparable
SEED = 42
DEFAULT_SCALES = (0.25, 1.0, 4.0)


def default_simulation() -> str:
    """`business` when the full simulator is importable, else the lead-only one."""
    try:
        import simulators.business  # noqa: F401
    except ImportError:
        return "leads"
    return "business"


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes of one bench run."""

    days: int = 180
    scale: float = 1.0  # --scale of the headline backfill
    scaling_days: int = 45
    scales: tuple[float, ...] = DEFAULT_SCALES
    sample_days: int = 30
    sample_scale: float = 1.0  # --scale of the stages' sample
    live_history_days: int = 7
    live_rate: float = 1000.0
    live_seconds: float = 20.0
    live_burst: int = 30_000
    # `crm rebuild` (field history on and off) in every scaling run too, not only in the
    # headline run: the smoke test turns it off (the headline's rebuild gives its keys)
    scaling_rebuild: bool = True
    live_history_scale: float = 1.0  # --scale of the live stage's history
    simulation: str = dataclasses.field(default_factory=default_simulation)
    seed: int = SEED
    end_date: date = END_DATE

    @classmethod
    def quick(cls, **overrides: Any) -> Plan:
        """A run of a minute or two: small days, short live phases."""
        base = {"days": 7, "scaling_days": 3, "sample_days": 2, "live_history_days": 1,
                "live_seconds": 3.0, "live_burst": 3000}
        return cls(**{**base, **overrides})


# -- backfill subprocesses -----------------------------------------------------------------


def run_backfill_child(days: int, scale: float, plan: Plan, floor: bool = True,
                       rebuild: bool = True, timeout: float = 3600) -> dict[str, Any]:
    """`bench.backfill_child` in a new process (fresh stack); its JSON result (with
    `rebuild`, and `floor`, the rebuild figures too)."""
    args = [sys.executable, "-m", "bench.backfill_child", "--days", str(days), "--scale",
            f"{scale:g}", "--seed", str(plan.seed), "--end-date", plan.end_date.isoformat(),
            "--simulation", plan.simulation]
    if not floor:
        args.append("--no-floor")
    if not rebuild:
        args.append("--no-rebuild")
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"backfill (days={days}, scale={scale:g}) failed:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- live ----------------------------------------------------------------------------------


def run_live_stage(services: Any, plan: Plan, status: Console) -> dict[str, Any]:
    """History first (so rules see reps and territories), then the two workers."""
    from backfill.generate import BackfillPlan
    from backfill.run import run_backfill

    history = BackfillPlan(plan.live_history_days, plan.seed, plan.end_date,
                           plan.live_history_scale)
    with open(os.devnull, "w") as null:
        run_backfill(services, history, Console(file=null), plan.simulation)
    from bench.live import run_live

    start = history.end + timedelta(hours=1)
    status.print(f"  live: a burst of {plan.live_burst:,} (capacity), then half of it and "
                 f"{plan.live_rate:,.0f} commands/s for {plan.live_seconds:g} s each; "
                 "pass-through baselines")
    result = run_live(services, rate=plan.live_rate, seconds=plan.live_seconds,
                      burst=plan.live_burst, start=start)
    return dataclasses.asdict(result)


# -- the run --------------------------------------------------------------------------------


def main(json_output: bool = False, scales: Sequence[float] | None = None,
         quick: bool = False, days: int | None = None, scaling_days: int | None = None,
         simulation: str | None = None, live_seconds: float | None = None,
         console: Console | None = None, plan: Plan | None = None,
         kafka: str | None = None) -> dict[str, Any]:
    """Run every benchmark; print a table (or JSON) and return the figures.

    `scales`: the `--scale` values of the scaling runs (default 0.25, 1, 4); `quick`: small
    sizes (a minute or two); `days`: days of the headline backfill (default 180);
    `scaling_days`: days of each scaling run (default 45, i.e. a quarter of the headline
    run, so that --scale 4 stays within the ~10 minute budget). `plan` replaces all of
    these sizes at once (the smoke test's tiny run). `kafka`: the bootstrap of a Kafka
    cluster for the Kafka-bound stages (default CRM_KAFKA_BOOTSTRAP; bench/stack.py).
    """
    if plan is None:
        plan = _plan(scales, quick, days, scaling_days, simulation, live_seconds)
    status = Console(stderr=True)
    out = console or Console()
    started = time.perf_counter()
    figures: dict[str, Any] = {"machine": machine(), "plan": jsonable(dataclasses.asdict(plan))}
    from bench.stack import use_kafka

    figures["machine"]["kafka"] = use_kafka(kafka)
    figures["plan"]["broker"] = figures["machine"]["kafka"]["broker"]

    from bench import stages
    from bench.stack import temp_stack

    status.print(f"[bold]bench[/] broker={figures['plan']['broker']} "
                 f"simulation={plan.simulation} days={plan.days} "
                 f"scales={list(plan.scales)} (scaling runs: {plan.scaling_days} days)")
    status.print(f"  stages: sample of {plan.sample_days} days")
    sample = stages.make_sample(plan.simulation, plan.sample_days, plan.seed, plan.end_date,
                                plan.sample_scale)
    codec = stages.codec_stage(sample)
    rules = stages.rules_stage(sample)

    with temp_stack(prefix="crm-bench-live-", commit_timestamps=True) as services:
        figures["machine"].update(versions(services))
        status.print(f"  stages: projector ingest of {len(sample.events):,} events")
        ingest = stages.ingest_stage(services.database_url, sample.events)
        del sample
        status.print(f"  live: {plan.live_history_days} days of history first")
        live = run_live_stage(services, plan, status)

    status.print(f"  backfill: {plan.days} days at scale {plan.scale:g}")
    headline = run_backfill_child(plan.days, plan.scale, plan)
    scaling = []
    for scale in plan.scales:
        if plan.scaling_days == plan.days and scale == plan.scale:
            scaling.append(headline)
            continue
        status.print(f"  scaling: {plan.scaling_days} days at scale {scale:g}")
        scaling.append(run_backfill_child(plan.scaling_days, scale, plan,
                                          rebuild=plan.scaling_rebuild))

    figures.update({
        "simulation": plan.simulation,
        "backfill_days": plan.days,
        "backfill_scale": plan.scale,
        "backfill_inputs": headline["inputs"],
        "backfill_events": headline["events"],
        "backfill_rows": headline["rows"],
        "backfill_wall_s": headline["wall_s"],
        "backfill_events_per_s": headline["events_per_s"],
        "backfill_phases_s": headline["phases_s"],
        "backfill_peak_rss_mb": headline["peak_rss_mb"],
        "copy_floor_s": headline["copy_floor_s"],
        "copy_rows_per_s": headline["copy_rows_per_s"],
        "backfill_to_copy_ratio": headline["ratio_to_copy"],
        **_rebuild_keys(headline),
        "live_offered_per_s": live["offered_per_s"],
        "live_achieved_per_s": live["achieved_per_s"],
        "live_events_per_s": live["events_per_s"],
        "live_commands_per_s": live["commands_per_s"],
        "live_p50_ms": live["p50_ms"],
        "live_p90_ms": live["p90_ms"],
        "live_p99_ms": live["p99_ms"],
        "live_max_ms": live["max_ms"],
        "live_over_capacity": live["over_capacity"],
        "live_capacity_events_per_s": live["events_per_s"],
        "live_rules_events_per_s": live["same_inputs"]["rules_events_per_s"],
        "live_efficiency": live["efficiency"],
        "passthrough_faust_per_s": live["passthrough"]["faust"]["per_s"],
        "passthrough_confluent_per_s": live["passthrough"]["confluent"]["per_s"],
        "live_to_passthrough_faust": live_to_passthrough(live),
        "live_p99_ms_at_half_capacity": live["half"]["p99_ms"],
        "live": live,
        "peak_rss_by_process_mb": {
            "backfill": headline["peak_rss_mb"],
            **{f"backfill_{role}": mb
               for role, mb in headline.get("followers_peak_rss_mb", {}).items()},
            "core_worker": live["core_peak_rss_mb"],
            "projector_worker": live["projector_peak_rss_mb"],
        },
        "scaling": [scaling_entry(s) for s in scaling],
        "stages": {
            "codec": [dataclasses.asdict(c) for c in codec],
            "rules": dataclasses.asdict(rules),
            "ingest": dataclasses.asdict(ingest),
        },
        "backfill": headline,
    })
    figures["peak_rss_mb"] = max(figures["peak_rss_by_process_mb"].values())
    figures["targets"] = targets(figures)
    figures["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    figures["elapsed_s"] = time.perf_counter() - started
    if json_output:
        print(json.dumps(jsonable(figures), indent=2))
    else:
        print_report(out, figures)
    return figures


def _rebuild_keys(headline: dict[str, Any]) -> dict[str, Any]:
    """`crm rebuild` of the headline backfill's log, on its stack: wall time against the
    COPY floor of every row it wrote (the 25 tables and the extensions, field history
    included), and the same with field history off (`CRM_FIELD_HISTORY=0`); and the
    backfill against that floor of every row it wrote."""
    on, off = headline.get("rebuild"), headline.get("rebuild_no_history")
    if not on or not off:
        return {}
    return {
        "rebuild_wall_s": on["wall_s"], "rebuild_events": on["events"],
        "rebuild_rows": on["rows"], "rebuild_field_history_rows": on["field_history_rows"],
        "rebuild_copy_floor_s": on["copy_floor_s"],
        "rebuild_to_copy_ratio": on["ratio_to_copy"],
        # the rebuild rewrote the backfill's very rows, so its floor is the backfill's
        # floor of every row it writes (one floor of field history, not two: ~20 s each)
        "backfill_copy_floor_all_rows_s": on["copy_floor_s"],
        "backfill_to_copy_ratio_all_rows": (headline["wall_s"] / on["copy_floor_s"]
                                            if on["copy_floor_s"] else 0.0),
        "rebuild_no_history_wall_s": off["wall_s"], "rebuild_no_history_rows": off["rows"],
        "rebuild_no_history_copy_floor_s": off["copy_floor_s"],
        "rebuild_no_history_to_copy_ratio": off["ratio_to_copy"],
    }


def _plan(scales: Sequence[float] | None, quick: bool, days: int | None,
          scaling_days: int | None, simulation: str | None,
          live_seconds: float | None) -> Plan:
    overrides: dict[str, Any] = {"simulation": simulation or default_simulation()}
    if scales is not None:
        overrides["scales"] = tuple(float(s) for s in scales)
    if days is not None:
        overrides["days"] = days
    if scaling_days is not None:
        overrides["scaling_days"] = scaling_days
    if live_seconds is not None:
        overrides["live_seconds"] = live_seconds
    return Plan.quick(**overrides) if quick else Plan(**overrides)


def cli(argv: list[str] | None = None) -> None:
    """`python -m bench.run [--json] [--quick] [--scale X ...]`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="small sizes (a minute or two)")
    parser.add_argument("--scale", type=float, action="append", help="scaling run (repeat)")
    parser.add_argument("--days", type=int, help="days of the headline backfill")
    parser.add_argument("--scaling-days", type=int, help="days of each scaling run")
    parser.add_argument("--simulation", choices=("business", "leads"))
    parser.add_argument("--kafka", metavar="BOOTSTRAP", help="a Kafka cluster for the "
                        "Kafka-bound stages (default CRM_KAFKA_BOOTSTRAP, else Tansu)")
    args = parser.parse_args(argv)
    from bench.stack import KafkaRefused

    try:
        main(json_output=args.json, scales=args.scale, quick=args.quick, days=args.days,
             scaling_days=args.scaling_days, simulation=args.simulation, kafka=args.kafka)
    except KafkaRefused as refused:
        parser.exit(2, f"crm bench: {refused}\n")


if __name__ == "__main__":
    cli()
