"""`crm sql/report/checksum/history`: read-only looks at the read tables."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from crm.cli.console import console, err
from reports.history import Format
from reports.output import Format as Output
from reports.output import write_rows

REPORT_NAMES = ("lead-funnel", "pipeline", "rep-performance", "account-health",
                "forecast-accuracy", "campaign-roi", "case-sla")
TREND_NAMES = ("pipeline-trend", "forecast-trend")
_AS_OF = ("Read the tables as they stood then: YYYY-MM-DD (the end of that day, UTC) or an "
          "ISO timestamp (UTC unless it has an offset)")


def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=_AS_OF)] = None,
    fmt: Annotated[Output, typer.Option("--format", help="table, csv or json")] = Output.table,
) -> None:
    """Run a read-only query against the read tables (now, or --as-of) and print it."""
    from crm.bootstrap import bootstrap
    from reports.asof import parse_moment, query_as_of
    from reports.queries import read_only_query

    try:
        at = None if as_of is None else parse_moment(as_of)
        engine = bootstrap().engine
        columns, rows = (read_only_query(engine, query) if at is None
                         else query_as_of(engine, query, at))
    except ValueError as exc:
        err.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(2) from None
    write_rows(console, columns, rows, fmt)


def report(
    name: Annotated[str, typer.Argument(help=f"all, one of: {', '.join(REPORT_NAMES)}; or "
                                             f"a weekly trend: {', '.join(TREND_NAMES)}")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=_AS_OF)] = None,
    fmt: Annotated[Output, typer.Option("--format", help="table, csv or json")] = Output.table,
    first: Annotated[str | None, typer.Option(
        "--from", help="Trends: the first point, YYYY-MM-DD (default: 12 weeks before "
                       "--to)")] = None,
    last: Annotated[str | None, typer.Option(
        "--to", help="Trends: the last point, YYYY-MM-DD (default: today, UTC)")] = None,
    every: Annotated[str, typer.Option(
        "--every", help="Trends: week, or a number of days between points")] = "week",
    closing_from: Annotated[str | None, typer.Option(
        "--closing-from", help="forecast-trend: deals closing from this day (default: the "
                               "fiscal quarter of --to)")] = None,
    closing_to: Annotated[str | None, typer.Option(
        "--closing-to", help="forecast-trend: ... up to this day")] = None,
) -> None:
    """Run the seed's analyst queries exactly as written (now, or --as-of) and print the
    results; or the pipeline or forecast as of each week of a period."""
    from crm.bootstrap import bootstrap
    from projectors.seed_queries import SEED_QUERIES
    from reports import trends
    from reports.asof import parse_moment, query_as_of
    from reports.queries import read_only_query

    names = list(SEED_QUERIES) if name == "all" else [name]
    unknown = [n for n in names if n not in SEED_QUERIES and n not in TREND_NAMES]
    if unknown:
        raise typer.BadParameter(f"unknown report {unknown[0]!r}; choose all, "
                                 f"{', '.join(SEED_QUERIES)} or {', '.join(TREND_NAMES)}")
    try:
        services = bootstrap()
        engine = services.engine
        if name in TREND_NAMES:
            if as_of is not None:
                raise ValueError("a trend is as of each of its weeks: use --from/--to")
            days = trends.parse_days(first, last, every)
            if name == "pipeline-trend":
                rows = trends.pipeline_trend(engine, days)
                write_rows(console, trends.PIPELINE_COLUMNS, rows, fmt, title=name)
                return
            period = trends.parse_closing(days[-1], closing_from, closing_to,
                                          fiscal=services.rules.fiscal)
            rows = trends.forecast_trend(engine, days, period)
            title = f"{name}: deals closing {period[0]} .. {period[1]} (excluded)"
            write_rows(console, trends.FORECAST_COLUMNS, rows, fmt, title=title)
            return
        at = None if as_of is None else parse_moment(as_of)
        for each in names:
            columns, rows = (read_only_query(engine, SEED_QUERIES[each]) if at is None
                             else query_as_of(engine, SEED_QUERIES[each], at))
            title = each if at is None else f"{each} as of {at.isoformat(sep=' ')} UTC"
            write_rows(console, columns, rows, fmt, title=title)
    except ValueError as exc:
        err.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(2) from None


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
