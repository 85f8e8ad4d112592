"""The `crm` command line: the local stack, the pipeline and the read model.

Run `crm --help` for the list; every command explains itself with `--help`.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import localstack
from crm.config import load_settings
from crm.history import history as record_history_command
from crm.kafka.cli import app as kafka_app

app = typer.Typer(
    help="GenIMS CRM core: event-sourced CRM on Kafka with PostgreSQL read tables.\n\n"
    "With no configuration everything runs on an embedded PostgreSQL and an embedded "
    "Kafka-protocol broker under CRM_HOME (./.crm). Set CRM_DATABASE_URL and/or "
    "CRM_KAFKA_BOOTSTRAP to use real servers instead.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console()
err = Console(stderr=True)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs")] = False):
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def up() -> None:
    """Start the embedded PostgreSQL and Kafka broker (a no-op when they run)."""
    from localstack import durability

    settings = load_settings()
    info = localstack.up(settings)
    restored = durability.load(settings, info)
    if restored:
        console.print(f"restored {restored:,} records of the log from {settings.archive_dir}")
    console.print(f"[green]up[/]  database: {info.to_dict()['database_url']}")
    console.print(f"    kafka:    {info.kafka_bootstrap}")


@app.command()
def down() -> None:
    """Archive the local log, then stop the embedded services started by `crm up`."""
    from localstack import durability

    settings = load_settings()
    info = localstack.status(settings)
    if info is not None:
        saved = durability.save(settings, info)
        console.print(f"archived {saved:,} new records to {settings.archive_dir}")
    localstack.down(settings)
    console.print("[green]down[/]")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
           live: Annotated[bool, typer.Option(
               "--live", help="Also events, core/projector lag, dead letters (crm/live.py)")
           ] = False):
    """Show what runs and where (never prints secrets)."""
    from crm.live import snapshot
    from localstack.durability import archive_lag

    settings = load_settings()
    info = localstack.status(settings)
    lag = archive_lag(settings, info) if info is not None else None
    figures = snapshot(settings, info) if live and info is not None else None
    if as_json:
        shown = info.to_dict() if info else {"running": False}
        shown = {**shown, "live": figures.as_dict()} if figures else shown
        print(json.dumps({**shown, "archive": vars(lag)} if lag else shown))
        return
    if info is None:
        console.print("not running (start it with `crm up`)")
        raise typer.Exit(1)
    table = Table("service", "where", "embedded", "pid")
    shown = info.to_dict()  # passwords masked
    table.add_row("postgresql", shown["database_url"], str(info.embedded_postgres),
                  str(info.pg_pid))
    table.add_row("kafka", info.kafka_bootstrap, str(info.embedded_kafka), str(info.broker_pid))
    if lag is not None:  # local mode: what a crash of the broker would lose
        table.add_row("archive", f"{settings.archive_dir}: {lag.describe()}", "", "")
    if figures is not None:  # the same figures as the dashboard's /v1/status
        table.add_row("live", figures.describe(), "", "")
    console.print(table)


@app.command()
def init() -> None:
    """Create the read tables (Alembic migrations), roles and Kafka topics; idempotent."""
    from crm.bootstrap import bootstrap

    created = bootstrap().init()
    console.print(f"[green]ready[/]: tables migrated, topics created: {created or 'none new'}")


@app.command()
def run(
    role: Annotated[str, typer.Option(
        help="core (faust rules worker + ERP bridge), projector, or erp (stand-in ERP)")] = "core",
) -> None:
    """Run a live worker over Kafka until SIGINT/SIGTERM.

    A full live system is three processes: `crm run --role core`, `crm run --role
    projector` and, in local mode, `crm run --role erp`.
    """
    from crm.workers import run_core, run_erp_simulator, run_projector

    roles = {"core": run_core, "projector": run_projector, "erp": run_erp_simulator}
    if role not in roles:
        raise typer.BadParameter("role must be core, projector or erp")
    roles[role]()


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days of history to backfill")] = 180,
    seed: Annotated[int, typer.Option(help="Simulator seed")] = 42,
    scale: Annotated[float, typer.Option(help="Volume multiplier")] = 1.0,
    cycles: Annotated[int, typer.Option(help="Accelerated live cycles after the backfill")] = 6,
    simulation: Annotated[str, typer.Option(help="business or leads")] = "business",
) -> None:
    """Start the stack, backfill history, run live cycles over Kafka, print the reports."""
    from crm.bootstrap import bootstrap
    from crm.demo import run_demo

    services = bootstrap()
    console.print(f"[bold]database[/] {services.database_url}\n[bold]kafka[/]    "
                  f"{services.bootstrap}\n[bold]home[/]     {services.settings.home}")
    run_demo(services, console, days=days, seed=seed, scale=scale, cycles=cycles,
             simulation=simulation)


@app.command()
def sql(query: Annotated[str, typer.Argument(help="A read-only SQL query")]) -> None:
    """Run a read-only query against the read tables and print it as a table."""
    from crm.bootstrap import bootstrap
    from crm.reporting import print_rows, read_only_query

    try:
        columns, rows = read_only_query(bootstrap().engine, query)
    except ValueError as exc:
        err.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(2) from None
    print_rows(console, columns, rows)


@app.command()
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

    from crm.backfill import BackfillPlan
    from crm.backfill_run import run_backfill
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


@app.command()
def schemas(
    write: Annotated[bool, typer.Option("--write", help="Regenerate .avsc files + docs")] = False,
    check: Annotated[bool, typer.Option("--check", help="BACKWARD-compatibility check")] = False,
    release: Annotated[bool, typer.Option("--release", help="Snapshot as released")] = False,
) -> None:
    """The Avro contracts: regenerate them, check compatibility, release a version."""
    from events.avro import release_schemas
    from events.catalog import write_all
    from events.compat import check_all

    if write:
        console.print(f"wrote {len(write_all())} files (events/schemas, docs/events.md)")
    if release:
        console.print(f"released {len(release_schemas() or [])} new schema versions")
    if check or not (write or release):
        problems = check_all()
        for problem in problems:
            err.print(f"[red]incompatible:[/] {problem}")
        if problems:
            raise typer.Exit(1)
        console.print("[green]all schemas are BACKWARD compatible[/] with released and "
                      "previously committed versions")


@app.command()
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
    from crm.simulate import simulate as run_cycles
    from localstack.worker_processes import workers

    services = bootstrap()
    services.init()
    services.settings.log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(services.settings.log_dir / "simulate.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("crm.simulate").addHandler(handler)
    logging.getLogger("crm.simulate").setLevel(logging.INFO)
    roles = ("core", "projector") if with_workers else ()
    with workers(services.settings, roles):
        n = run_cycles(services, cycles, speed, seed, scale,
                       on_cycle=lambda k, at: console.print(f"cycle {k}: {at:%Y-%m-%d %H:%M}"))
    console.print(f"[green]submitted[/] {n:,} inputs")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
    with_workers: Annotated[bool, typer.Option(
        "--workers", help="Also run the core and projector workers (crm run) meanwhile")
    ] = False,
    local_dashboard: Annotated[bool, typer.Option(
        help="On a loopback --host, local requests read the dashboard without a key")
    ] = True,
) -> None:
    """The HTTP API and the analysts' dashboard at / (docs/api.md).

    API keys come from CRM_API_KEYS=key:role[,key:role...] (roles writer and analyst).
    """
    import contextlib

    from crm.api.app import keys_from_environment
    from crm.api.app import serve as run_server
    from crm.bootstrap import bootstrap
    from localstack.worker_processes import workers

    try:
        keys = keys_from_environment()
    except ValueError as exc:
        err.print(f"[red]cannot serve:[/] {exc}")
        raise typer.Exit(2) from None
    services = bootstrap()
    console.print(f"dashboard: [bold]http://{host}:{port}/[/]   API docs: /docs")
    with workers(services.settings) if with_workers else contextlib.nullcontext():
        run_server(services, keys, host, port, local_dashboard=local_dashboard)


dlq_app = typer.Typer(help="Dead letters: list them; re-drive them after a fix.",
                      no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(kafka_app, name="kafka")
app.command("history")(record_history_command)  # crm/history.py (issue 19)


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(help="Newest N dead letters")] = 50,
    source: Annotated[str | None, typer.Option(help="Only those from this topic")] = None,
) -> None:
    """Show dead letters: source topic/offset, reason, size."""
    from crm.bootstrap import bootstrap
    from crm.dlq import list_dead_letters, print_dead_letters

    s = bootstrap()
    print_dead_letters(console, list_dead_letters(s.bootstrap, s.kafka_extra, limit=limit,
                                                  source_topic=source))


@dlq_app.command("redrive")
def dlq_redrive(
    ref: Annotated[list[str] | None, typer.Option(
        "--ref", help="partition@offset of a dead letter (repeatable); default: all")] = None,
    source: Annotated[str | None, typer.Option(help="Only those from this topic")] = None,
    force: Annotated[bool, typer.Option(help="Send even those that still fail")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be sent")] = False,
) -> None:
    """Re-publish dead letters' original bytes to their source topic (after a fix)."""
    from crm.bootstrap import bootstrap
    from crm.dlq import print_redrive, redrive
    from projectors.refusals import read_model_check

    s = bootstrap()
    print_redrive(console, redrive(s.bootstrap, s.kafka_extra, codec=s.codec, refs=ref,
                                   source_topic=source, force=force, dry_run=dry_run,
                                   check=read_model_check(s.engine)))


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable figures")] = False,
    quick: Annotated[bool, typer.Option(help="Small sizes (a minute or two)")] = False,
    days: Annotated[int | None, typer.Option(help="Days of the headline backfill")] = None,
) -> None:
    """Measure throughput, latency and memory (backfill vs COPY floor, live path, scaling).

    Runs on its own temporary embedded stack; prints figures, asserts nothing.
    """
    from bench.run import main as run_bench

    run_bench(json_output=as_json, quick=quick, days=days)


REPORT_NAMES = ("lead-funnel", "pipeline", "rep-performance", "account-health",
                "forecast-accuracy", "campaign-roi", "case-sla")


@app.command()
def report(
    name: Annotated[str, typer.Argument(help=f"all, or one of: {', '.join(REPORT_NAMES)}")],
) -> None:
    """Run the seed's analyst queries exactly as written and print the results."""
    from crm.bootstrap import bootstrap
    from crm.reporting import print_rows, read_only_query
    from projectors.seed_queries import SEED_QUERIES

    names = list(SEED_QUERIES) if name == "all" else [name]
    unknown = [n for n in names if n not in SEED_QUERIES]
    if unknown:
        raise typer.BadParameter(f"unknown report {unknown[0]!r}; choose all or "
                                 f"{', '.join(SEED_QUERIES)}")
    engine = bootstrap().engine
    for each in names:
        columns, rows = read_only_query(engine, SEED_QUERIES[each])
        print_rows(console, columns, rows, title=each)


@app.command()
def checksum(
    per_table: Annotated[bool, typer.Option("--tables", help="Also one digest per table")] = False,
) -> None:
    """One order-independent digest of the read tables (the 25 and the extensions)."""
    from crm.bootstrap import bootstrap
    from projectors.db import table_counts, table_digest, table_digests

    engine = bootstrap().engine
    if per_table:
        counts = table_counts(engine)
        table = Table("table", "rows", "digest")
        for name, digest in table_digests(engine).items():
            table.add_row(name, str(counts[name]), digest)
        console.print(table)
    print(table_digest(engine))


@app.command()
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


if __name__ == "__main__":
    app()
