"""`crm up/down/status/init/run`: the local stack and the live workers on it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

import localstack
from crm.cli.console import console
from crm.config import load_settings


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


def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
           live: Annotated[bool, typer.Option(
               "--live", help="Also events, core/projector lag, dead letters")
           ] = False):
    """Show what runs and where (never prints secrets)."""
    from events.admin import missing_topics
    from localstack.durability import archive_lag
    from operations.live_figures import snapshot

    settings = load_settings()
    info = localstack.status(settings)
    # what is measured below asks the topics' partitions for their offsets, which fails
    # (_UNKNOWN_PARTITION, after 30 s) before `crm init` created them; an external broker
    # is asked nothing without --live (it may be out of reach from here)
    asks_broker = info is not None and (info.embedded_kafka or live)
    missing = (missing_topics(info.kafka_bootstrap, settings.kafka_security.librdkafka())
               if asks_broker and info is not None else [])
    measurable = info is not None and not missing
    lag = archive_lag(settings, info) if measurable else None
    figures = snapshot(settings, info) if live and measurable else None
    if as_json:
        shown = info.to_dict() if info else {"running": False}
        shown = {**shown, "live": figures.as_dict()} if figures else shown
        shown = {**shown, "topics_missing": missing} if missing else shown
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
    if missing:
        table.add_row("topics", f"{len(missing)} of the CRM's topics not created: run "
                      "`crm init`", "", "")
    if lag is not None:  # local mode: what a crash of the broker would lose
        table.add_row("archive", f"{settings.archive_dir}: {lag.describe()}", "", "")
    if figures is not None:  # the same figures as the dashboard's /v1/status
        table.add_row("live", figures.describe(), "", "")
    console.print(table)


def init() -> None:
    """Create the read tables (Alembic migrations), roles and Kafka topics; idempotent."""
    from crm.bootstrap import bootstrap

    created = bootstrap().init()
    console.print(f"[green]ready[/]: tables migrated, topics created: {created or 'none new'}")


def run(
    role: Annotated[str, typer.Option(
        help="core (faust rules worker + ERP bridge), projector, or erp (stand-in ERP)")] = "core",
) -> None:
    """Run a live worker over Kafka until SIGINT/SIGTERM.

    A full live system is three processes: `crm run --role core`, `crm run --role
    projector` and, in local mode, `crm run --role erp`.
    """
    from operations.live_workers import run_core, run_erp_simulator, run_projector

    roles = {"core": run_core, "projector": run_projector, "erp": run_erp_simulator}
    if role not in roles:
        raise typer.BadParameter("role must be core, projector or erp")
    roles[role]()
