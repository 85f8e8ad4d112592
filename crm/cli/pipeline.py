"""`crm backfill/simulate/demo/rebuild`: history in, read tables out."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from crm.cli.console import console, err


def demo(
    days: Annotated[int, typer.Option(help="Days of history to backfill")] = 180,
    seed: Annotated[int, typer.Option(help="Simulator seed")] = 42,
    scale: Annotated[float, typer.Option(help="Volume multiplier")] = 1.0,
    cycles: Annotated[int, typer.Option(help="Accelerated live cycles after the backfill")] = 6,
    simulation: Annotated[str, typer.Option(help="business or leads")] = "business",
) -> None:
    """Start the stack, backfill history, run live cycles over Kafka, print the reports."""
    from crm.bootstrap import bootstrap
    from operations.demo import run_demo

    services = bootstrap()
    console.print(f"[bold]database[/] {services.database_url}\n[bold]kafka[/]    "
                  f"{services.bootstrap}\n[bold]home[/]     {services.settings.home}")
    run_demo(services, console, days=days, seed=seed, scale=scale, cycles=cycles,
             simulation=simulation)


def backfill(
    days: Annotated[int, typer.Option(help="Days of history to generate")] = 180,
    seed: Annotated[int, typer.Option(help="Simulator seed (same seed, same history)")] = 42,
    end_date: Annotated[str | None, typer.Option(
        help="Last day of the history, YYYY-MM-DD (default: today, UTC; a history "
             "ending today stops at the last 30-minute tick at or before now)")] = None,
    scale: Annotated[float, typer.Option(help="Volume multiplier (1 = the seed's scale)")] = 1.0,
    simulation: Annotated[str, typer.Option(help="business (full model) or leads")] = "business",
) -> None:
    """Generate history, archive it, run it through the rules and projectors.

    Resumable: run it again after a crash and it finishes the same run, with the same
    tables as one clean run.
    """
    from datetime import UTC, date, datetime

    from backfill.generate import BackfillPlan
    from backfill.run import run_backfill
    from crm.bootstrap import bootstrap

    try:
        end = date.fromisoformat(end_date) if end_date else None
    except ValueError:
        raise typer.BadParameter("--end-date must be YYYY-MM-DD") from None
    if days < 1 or scale <= 0:
        raise typer.BadParameter("--days must be >= 1 and --scale > 0")
    try:
        plan = BackfillPlan.ending(days, seed, end, scale, now=datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(f"--end-date: {exc}") from None
    run_backfill(bootstrap(), plan, console, simulation)


def simulate(
    cycles: Annotated[int, typer.Option(help="Cycles to run; 0 = until SIGINT/SIGTERM")] = 0,
    speed: Annotated[float, typer.Option(
        help="Simulated/real time: 1 = real time (a cycle every 30 min), 1800 = one cycle "
             "a second, 0 = as fast as possible")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed when no backfill/checkpoint exists")] = 42,
    scale: Annotated[float, typer.Option(help="Volume multiplier for a fresh world")] = 1.0,
    with_workers: Annotated[bool, typer.Option(
        "--workers/--no-workers", help="Also run the core and projector workers")] = True,
) -> None:
    """The live daemon: every 30 simulated minutes, a cycle of business and a clock tick.

    Continues the world where the last backfill (or the last simulate) left it. Stops
    gracefully on SIGINT/SIGTERM, checkpointing; logs to CRM_HOME/logs/simulate.log.
    """
    from crm.bootstrap import bootstrap
    from localstack.worker_processes import workers
    from operations.simulate import simulate as run_cycles

    services = bootstrap()
    services.init()
    services.settings.log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(services.settings.log_dir / "simulate.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("operations.simulate").addHandler(handler)
    logging.getLogger("operations.simulate").setLevel(logging.INFO)
    roles = ("core", "projector") if with_workers else ()
    with workers(services.settings, roles):
        n = run_cycles(services, cycles, speed, seed, scale,
                       on_cycle=lambda k, at: console.print(f"cycle {k}: {at:%Y-%m-%d %H:%M}"))
    console.print(f"[green]submitted[/] {n:,} inputs")


def rebuild() -> None:
    """Rebuild the read tables (the 25 and the extensions) from the log, swapped in at once."""
    from rich.progress import Progress

    from crm.bootstrap import bootstrap
    from projectors.rebuild import rebuild as rebuild_tables

    services = bootstrap()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("replaying the event log", total=None)
        events = rebuild_tables(services.database_url, services.bootstrap, services.kafka_extra,
                                progress=lambda n: progress.update(task, completed=n))
    console.print(f"[green]rebuilt[/] the read tables from {events} events")
