"""Drive a backfill: generate and publish, with the projector and the archiver following.

The history is generated in this process and published as it is made, by a publisher
process it hands the records to (backfill/publisher_process.py); the projector and the
archiver run in processes of their own from the start (backfill/followers.py), so the two
cores work at once. A rerun after a crash generates the same history again (or, once the
log file is complete, publishes from it), skipping what Kafka already holds.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backfill import followers
from backfill.generate import BackfillPlan, GenerateStats, generate, run_dir, same_day_run
from backfill.publish import publish
from backfill.publisher_process import PublisherProcess
from crm.bootstrap import Services
from projectors.db import table_counts


@dataclass
class BackfillSummary:
    """Figures of one backfill run (also used by `crm bench`).

    `seconds`: the wall time each phase added: `generate` (simulation, rules, the log
    file and publishing up to the last acknowledgement, with projection and archiving
    running alongside; `publish` instead when a complete log file is published), then
    the tails: `project` and `archive` (what was left to do once the log was complete).
    `peak_rss_mb` / `cpu_s`: the helper processes' peak memory and CPU time, by role
    (projector, archiver, publisher). `projection`: how the projector wrote the log,
    `fold` (a fresh backfill: folded in memory, committed in parts of about `PART_ROWS`
    rows with their positions) or `batches` (backfill/projecting.py).
    """

    inputs: int
    events: int
    rejections: int
    produced: int
    skipped: int
    projected: int
    rows: int
    seconds: dict[str, float]
    peak_rss_mb: dict[str, float]
    cpu_s: dict[str, float]
    projection: str = "batches"


def simulation_factory(name: str) -> Any:
    """The simulation class by name: `business` (the full model) or `leads` (smoke)."""
    if name == "leads":
        from simulators.minimal import LeadOnlySimulation

        return LeadOnlySimulation
    from simulators.business import BusinessSimulation

    return BusinessSimulation


def run_backfill(services: Services, plan: BackfillPlan, console: Console,
                 simulation: str = "business") -> BackfillSummary:
    """All phases; each resumes where a previous, interrupted run stopped.

    A history ending today keeps the cut of a run already started today (same_day_run).
    """
    services.init()
    plan = same_day_run(services.settings.home, plan)
    directory = run_dir(services.settings.home, plan)
    ctx = multiprocessing.get_context("spawn")
    published = ctx.Event()
    roles = ("projector", "archiver") if services.stack.embedded_kafka else ("projector",)
    running = [followers.start(ctx, role, services, published) for role in roles]
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        # two refreshes a second: the bar is drawn by a thread of the generator, the
        # critical path (it was ~1 % of its CPU at the default ten)
        with Progress(*columns, console=console, refresh_per_second=2) as bar:
            labels = {"projector": "project", "archiver": "archive"}
            tasks = {f.role: bar.add_task(labels[f.role], total=None) for f in running}

            def tick() -> None:
                for f in running:
                    bar.update(tasks[f.role], completed=f.progress.value)

            stats, publisher, seconds = _generate_and_publish(
                ctx, services, plan, directory, simulation, bar, tick)
            bar.update(tasks["projector"], total=stats.events)
            published.set()
            results = {}
            for f in running:
                t0 = time.perf_counter()
                results[f.role] = followers.finish(f, tick=tick)
                seconds["project" if f.role == "projector" else "archive"] = \
                    time.perf_counter() - t0
            tick()
    finally:
        for f in running:
            followers.stop(f)
    rows = sum(table_counts(services.engine).values())
    helpers = {**results, "publisher": publisher} if publisher.cpu_s else results
    summary = BackfillSummary(stats.inputs, stats.events, stats.rejections,
                              publisher.produced, publisher.skipped,
                              results["projector"].count, rows, seconds,
                              {role: r.peak_rss_mb for role, r in helpers.items()},
                              {role: r.cpu_s for role, r in helpers.items()},
                              results["projector"].extra.get("mode", "batches"))
    _print(console, plan, summary)
    return summary


@dataclass
class _Published:
    """What publishing from a complete log file did (in this process)."""

    produced: int = 0
    skipped: int = 0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0


def _generate_and_publish(ctx: Any, services: Services, plan: BackfillPlan, directory: Any,
                          simulation: str, bar: Progress, tick: Any,
                          ) -> tuple[GenerateStats, _Published | PublisherProcess,
                                     dict[str, float]]:
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    if (directory / "generated.json").exists():  # the log is complete: publish it
        stats = generate(plan, directory, simulation_factory(simulation))
        task = bar.add_task("publish", total=stats.inputs + stats.events)
        produced, skipped = publish(directory, services.bootstrap, services.kafka_extra,
                                    progress=lambda n: (bar.update(task, completed=n), tick()))
        seconds["publish"] = time.perf_counter() - t0
        return stats, _Published(produced, skipped), seconds
    task = bar.add_task("generate", total=plan.days)

    def progress(day: int, _: int) -> None:
        bar.update(task, completed=day)
        tick()

    with PublisherProcess(ctx, services.bootstrap, services.kafka_extra) as publisher:
        stats = generate(plan, directory, simulation_factory(simulation), progress=progress,
                         sink=publisher)
    seconds["generate"] = time.perf_counter() - t0  # publishing finishes inside
    return stats, publisher, seconds


def _print(console: Console, plan: BackfillPlan, s: BackfillSummary) -> None:
    table = Table(title=f"backfill {plan.run_id}", show_header=False)
    table.add_row("period", f"{plan.start:%Y-%m-%d %H:%M} .. {plan.end:%Y-%m-%d %H:%M} UTC "
                  f"({plan.days} days{', the last up to now' if plan.until else ''})")
    table.add_row("inputs", f"{s.inputs:,} ({s.rejections:,} rejected by the rules)")
    table.add_row("derived events", f"{s.events:,}")
    table.add_row("published", f"{s.produced:,} records ({s.skipped:,} already in Kafka)")
    table.add_row("projected", f"{s.projected:,} events -> {s.rows:,} rows in 25 tables")
    for phase, secs in s.seconds.items():
        table.add_row(f"{phase} time", f"{secs:.1f} s")
    table.add_row("wall time", f"{sum(s.seconds.values()):.1f} s")
    console.print(table)
