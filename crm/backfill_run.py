"""Drive a backfill's phases with a progress bar each and a closing summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crm.backfill import BackfillPlan, generate, run_dir
from crm.bootstrap import Services
from crm.publish import publish
from producers.archive import Archiver
from projectors.db import table_counts
from projectors.runner import Projector


@dataclass
class BackfillSummary:
    """Figures of one backfill run (also used by `crm bench`)."""

    inputs: int
    events: int
    rejections: int
    produced: int
    skipped: int
    projected: int
    rows: int
    seconds: dict[str, float]


def simulation_factory(name: str) -> Any:
    """The simulation class by name: `business` (the full model) or `leads` (smoke)."""
    if name == "leads":
        from simulators.minimal import LeadOnlySimulation

        return LeadOnlySimulation
    from simulators.business import BusinessSimulation

    return BusinessSimulation


def run_backfill(services: Services, plan: BackfillPlan, console: Console,
                 simulation: str = "business") -> BackfillSummary:
    """All phases; each resumes where a previous, interrupted run stopped."""
    services.init()
    directory = run_dir(services.settings.home, plan)
    seconds: dict[str, float] = {}
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        t0 = time.perf_counter()
        task = bar.add_task("generate", total=plan.days)
        stats = generate(plan, directory, simulation_factory(simulation),
                         progress=lambda d, _: bar.update(task, completed=d))
        bar.update(task, completed=plan.days)
        seconds["generate"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        total = stats.inputs + stats.events
        task = bar.add_task("publish", total=total)
        produced, skipped = publish(directory, services.bootstrap, services.kafka_extra,
                                    progress=lambda n: bar.update(task, completed=n))
        bar.update(task, completed=total)
        seconds["publish"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        task = bar.add_task("project", total=stats.events)
        projector = Projector(services.engine, services.bootstrap, codec=services.codec,
                              extra=services.kafka_extra)
        before = projector.stats.events
        try:
            projector.catch_up(timeout=3600, progress=lambda n: bar.update(task, completed=n))
        finally:
            projector.close()
        bar.update(task, completed=stats.events)
        seconds["project"] = time.perf_counter() - t0

        if services.stack.embedded_kafka:
            t0 = time.perf_counter()
            bar.add_task("archive", total=None)
            archiver = Archiver(services.settings.archive_dir, services.bootstrap)
            try:
                archiver.catch_up()
            finally:
                archiver.close()
            seconds["archive"] = time.perf_counter() - t0
    rows = sum(table_counts(services.engine).values())
    summary = BackfillSummary(stats.inputs, stats.events, stats.rejections, produced, skipped,
                              projector.stats.events - before, rows, seconds)
    _print(console, plan, summary)
    return summary


def _print(console: Console, plan: BackfillPlan, s: BackfillSummary) -> None:
    table = Table(title=f"backfill {plan.run_id}", show_header=False)
    table.add_row("period", f"{plan.start:%Y-%m-%d} .. {plan.end:%Y-%m-%d} ({plan.days} days)")
    table.add_row("inputs", f"{s.inputs:,} ({s.rejections:,} rejected by the rules)")
    table.add_row("derived events", f"{s.events:,}")
    table.add_row("published", f"{s.produced:,} records ({s.skipped:,} already in Kafka)")
    table.add_row("projected", f"{s.projected:,} events -> {s.rows:,} rows in 25 tables")
    for phase, secs in s.seconds.items():
        rate = (s.inputs + s.events) / secs if secs else 0
        table.add_row(f"{phase} time", f"{secs:.1f} s ({rate:,.0f} records/s)")
    console.print(table)
