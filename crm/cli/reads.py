"""`crm sql/report/checksum/history`: read-only looks at the read tables."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from crm.cli.console import console, err
from reports.history import Format

REPORT_NAMES = ("lead-funnel", "pipeline", "rep-performance", "account-health",
                "forecast-accuracy", "campaign-roi", "case-sla")


def sql(query: Annotated[str, typer.Argument(help="A read-only SQL query")]) -> None:
    """Run a read-only query against the read tables and print it as a table."""
    from crm.bootstrap import bootstrap
    from reports.queries import print_rows, read_only_query

    try:
        columns, rows = read_only_query(bootstrap().engine, query)
    except ValueError as exc:
        err.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(2) from None
    print_rows(console, columns, rows)


def report(
    name: Annotated[str, typer.Argument(help=f"all, or one of: {', '.join(REPORT_NAMES)}")],
) -> None:
    """Run the seed's analyst queries exactly as written and print the results."""
    from crm.bootstrap import bootstrap
    from projectors.seed_queries import SEED_QUERIES
    from reports.queries import print_rows, read_only_query

    names = list(SEED_QUERIES) if name == "all" else [name]
    unknown = [n for n in names if n not in SEED_QUERIES]
    if unknown:
        raise typer.BadParameter(f"unknown report {unknown[0]!r}; choose all or "
                                 f"{', '.join(SEED_QUERIES)}")
    engine = bootstrap().engine
    for each in names:
        columns, rows = read_only_query(engine, SEED_QUERIES[each])
        print_rows(console, columns, rows, title=each)


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


def history(
    record_id: Annotated[str, typer.Argument(help="Id of a lead, account, opportunity, "
                                                  "quote, case or contract")],
    fmt: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """The whole life of one record: every change, in order, with who and why."""
    from crm.bootstrap import bootstrap
    from reports.history import print_history, record_history

    rows = record_history(bootstrap().engine, record_id)
    if not rows:
        err.print(f"no history for {record_id}")
        raise typer.Exit(1)
    print_history(console, record_id, rows, fmt)
