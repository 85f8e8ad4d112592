"""As-of reads (issue 19): the read tables and the seed reports as they stood at T."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from simulated_history import START, History, shared
from support import create_database, drop_database, project
from typer.testing import CliRunner

from crm import bootstrap
from crm.cli import app
from localstack import StackInfo
from projectors.db import make_engine, migrate
from projectors.history import UNTRACKED
from projectors.seed_queries import SEED_QUERIES
from projectors.tables import TABLES
from reports.asof import (
    AsOfError,
    build,
    check,
    parse_moment,
    pin_clock,
    query_as_of,
    tables_of,
)


def test_a_bare_date_means_the_end_of_that_day_and_offsets_become_utc() -> None:
    assert parse_moment("2026-03-31") == datetime(2026, 3, 31, 23, 59, 59, 999999)
    assert parse_moment("2026-03-31T18:30+05:30") == datetime(2026, 3, 31, 13, 0)
    assert parse_moment("2026-03-31 13:00") == datetime(2026, 3, 31, 13, 0)
    with pytest.raises(AsOfError):
        parse_moment("end of March")


def test_the_clock_of_a_query_is_the_moment_and_literals_are_left_alone() -> None:
    at = datetime(2026, 3, 31, 23, 0)
    sql = ("SELECT 'CURRENT_DATE', now() -- current_date\nFROM leads "
           "WHERE created_at >= CURRENT_DATE - INTERVAL '90 days' AND x < current_timestamp")
    assert pin_clock(sql, at) == (
        "SELECT 'CURRENT_DATE', TIMESTAMPTZ '2026-03-31 23:00:00+00' -- current_date\n"
        "FROM leads WHERE created_at >= DATE '2026-03-31' - INTERVAL '90 days' "
        "AND x < TIMESTAMPTZ '2026-03-31 23:00:00+00'")


def test_the_tables_a_query_needs_and_what_is_refused() -> None:
    assert tables_of(SEED_QUERIES["rep-performance"]) == ["opportunities", "sales_reps"]
    assert tables_of("SELECT 'accounts' -- cases\nFROM leads") == ["leads"]
    for sql in ("SELECT * FROM public.leads", "SELECT * FROM crm_history.field_history",
                "SELECT max(updated_at) FROM leads",
                "SELECT * FROM crm_forecasting . sales_forecast_snapshots",
                'SELECT * FROM "public".leads'):
        with pytest.raises(AsOfError):
            check(sql)


# --- on PostgreSQL: a history projected up to T, compared with the as-of tables --------

CUTS = tuple((START + d).replace(tzinfo=None) for d in (
    timedelta(days=6, hours=15, minutes=7), timedelta(days=15, hours=10, minutes=41)))


def _columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.name not in UNTRACKED]


def _key(table: str) -> str:
    return TABLES[table].primary_key.columns.keys()[0]


def snapshot(conn: sa.Connection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the 25 tables (tracked columns), in key order."""
    return {t: [tuple(r) for r in conn.execute(sa.text(
        f'SELECT {", ".join(_columns(t))} FROM {schema}."{t}" ORDER BY "{_key(t)}"'))]
        for t in TABLES}


def mismatches(table: str, asof: list[tuple[Any, ...]], live: list[tuple[Any, ...]],
               ) -> list[tuple[Any, ...]]:
    """(key, column, as-of value, live value) of the first few differences."""
    names = _columns(table)
    a = {r[names.index(_key(table))]: r for r in asof}
    b = {r[names.index(_key(table))]: r for r in live}
    out: list[tuple[Any, ...]] = [(k, "(row)", k in a, k in b) for k in a.keys() ^ b.keys()]
    out += [(k, c, x, y) for k in a.keys() & b.keys()
            for c, x, y in zip(names, a[k], b[k], strict=True) if x != y]
    return sorted(out, key=str)[:5]


def reports(engine: sa.Engine, at: datetime) -> dict[str, list[tuple[Any, ...]]]:
    """The seven seed reports on the live tables, read with the clock at `at`."""
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(sa.text(pin_clock(sql, at)))]
                for name, sql in SEED_QUERIES.items()}


@pytest.fixture(scope="module")
def history() -> History:
    # the first 30 days of the session's shared 45-day history (the behaviour, quote, hours
    # and tiers tests'), folded once a session: more events than a 21-day history at 0.4 of
    # its own was (32,785 against 30,814), and no extra ~20 s fold
    return shared(45, 0.3).first(30)


@pytest.fixture(scope="module")
def projected(stack: StackInfo, history: History) -> Iterator[tuple[sa.Engine, dict[
        datetime, Any]]]:
    """The history projected in live-sized batches into a database of this module's
    tests (read only); the tables and reports at each cut."""
    url = create_database(stack.database_url)
    migrate(url)
    engine = make_engine(url)
    seen: dict[datetime, Any] = {}
    events = history.events
    done = 0
    for cut in CUTS:
        upto = next(i for i, e in enumerate(events) if e.occurred_at.replace(
            tzinfo=None) > cut)
        project(engine, *(events[i:min(i + 3000, upto)] for i in range(done, upto, 3000)))
        done = upto
        with engine.connect() as conn:
            seen[cut] = (snapshot(conn, "public"), reports(engine, cut))
    project(engine, *(events[i:i + 3000] for i in range(done, len(events), 3000)))
    try:
        yield engine, seen
    finally:
        engine.dispose()
        drop_database(url)


@pytest.mark.integration
def test_the_tables_as_of_t_are_the_tables_projected_up_to_t(projected: Any) -> None:
    engine, seen = projected
    for cut, (tables, _) in seen.items():
        with engine.connect() as conn:
            build(conn, cut, TABLES)
            asof = snapshot(conn, "pg_temp")
            conn.rollback()
        assert sum(map(len, tables.values())) > 1000
        assert {name: mismatches(name, asof[name], rows)
                for name, rows in tables.items()} == {name: [] for name in TABLES}, cut


@pytest.mark.integration
def test_each_seed_report_as_of_t_equals_the_report_taken_at_t(projected: Any) -> None:
    engine, seen = projected
    for cut, (_, taken) in seen.items():
        for name, sql in SEED_QUERIES.items():
            columns, rows = query_as_of(engine, sql, cut)
            # as sorted rows: a seed's ORDER BY may leave ties (account-health orders by
            # tier and health category only), whose order is the tables' physical one
            assert sorted(map(tuple, rows), key=repr) == sorted(taken[name], key=repr), (
                cut, name)
        assert any(Decimal(r[2]) > 0 for r in taken["pipeline"])


@pytest.mark.integration
def test_a_rows_changes_come_from_one_aggregate_so_its_version_orders_them_as_the_log(
        projected: Any) -> None:
    """Why field_history needs no log position: every row is written by one aggregate,
    whose events are in order on one partition, so (changed_at, aggregate_version) is
    the log's order of a row's changes, same-instant ones included (docs/time-travel.md,
    "Order of changes")."""
    engine, _ = projected
    with engine.connect() as conn:
        def count(sql: str) -> int:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM ({sql}) x")).scalar_one())

        history = "crm_history.field_history"
        owners = count(f"SELECT 1 FROM {history} GROUP BY table_name, record_id "
                       "HAVING count(DISTINCT aggregate_id) > 1")
        same_instant = count(
            f"SELECT 1 FROM {history} WHERE column_name NOT IN ('(created)', '(deleted)') "
            "GROUP BY table_name, record_id, column_name, changed_at HAVING count(*) > 1")
        unordered = count(f"SELECT 1 FROM {history} GROUP BY table_name, record_id, "
                          "column_name, aggregate_version HAVING count(*) > 1")
        backwards = count(  # a later version of a row earlier in event time
            "SELECT 1 FROM (SELECT changed_at < lag(changed_at) OVER (PARTITION BY "
            "table_name, record_id ORDER BY aggregate_version) AS back "
            f"FROM {history}) y WHERE back")
    assert (owners, unordered, backwards) == (0, 0, 0)
    assert same_instant > 100  # the ties exist (a lead scored twice in one command, ...)


@pytest.mark.integration
def test_crm_report_and_sql_as_of_t_on_the_command_line(
        projected: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, seen = projected
    cut = CUTS[0]
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: SimpleNamespace(engine=engine))
    at = cut.isoformat()
    shown = CliRunner().invoke(app, ["report", "pipeline", "--as-of", at, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert [(r["stage"], r["opportunity_count"], r["total_amount"])
            for r in json.loads(shown.output)] == [
        (stage, n, str(amount)) for stage, n, amount, *_ in seen[cut][1]["pipeline"]]
    as_csv = CliRunner().invoke(app, ["sql", "SELECT COUNT(*) AS n FROM leads", "--as-of",
                                      at + "+00:00", "--format", "csv"])
    assert as_csv.output == f"n\n{len(seen[cut][0]['leads'])}\n"
    refused = CliRunner().invoke(app, ["sql", "SELECT max(updated_at) FROM leads",
                                       "--as-of", at])
    assert refused.exit_code == 2
    assert "updated_at is not in field history" in refused.output
