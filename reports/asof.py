"""As-of reads (issue 19): any read-only query on the 25 read tables as they stood at T.

The tables as of T are rebuilt from the current rows and `crm_history.field_history`,
not by replaying the log: a row nothing changed after T is copied as it is; a changed row
is undone, each column taking the `old_value` of its first change after T. That is the
value at T because the history's walk writes a change's old value as the value the row
held just before it (a row's first values are not written at creation, so the forward
direction, "the last new value at or before T", cannot recover a column set once and
changed later). A row whose first lifecycle mark after T is `(created)` did not exist at
T; one whose first mark is `(deleted)` did, and starts from the values the deletion kept.

The tables are temporary tables of the query's own session, dropped after it: the
temporary schema comes first in PostgreSQL's lookup, and the query runs with an empty
search_path, so an unqualified name can only mean the as-of table (a table not rebuilt is
an error, never the live table). Then the query runs unmodified in a READ ONLY
transaction, except for its clock: CURRENT_DATE, CURRENT_TIMESTAMP, LOCALTIMESTAMP, now()
and the other *_timestamp() functions are T, so "the last 90 days" means the 90 days
before T, as the report taken at T read them. `updated_at` (not tracked by field history)
is not in the as-of tables: a query naming it fails instead of reading today's value.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from projectors.history import CREATED, DELETED, UNTRACKED
from projectors.tables import TABLES, key_column

LIVE_SCHEMA = "public"
# Schemas a query could name to reach live data past the as-of tables.
_QUALIFIED = re.compile(r"\b(public|crm_history|crm_forecasting|crm_meta)\"?\s*\.", re.I)
_CLOCK = re.compile(r"\b(current_date|current_timestamp|localtimestamp|(?:now|clock_timestamp|"
                    r"statement_timestamp|transaction_timestamp)\s*\(\s*\))", re.I)
# String literals and comments are left alone by the table and clock matching.
_SKIP = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_ORDER = "changed_at, aggregate_version, event_id"

_ROWS_SQL = f"""
WITH after AS MATERIALIZED (
    SELECT record_id, column_name, old_value, changed_at, aggregate_version, event_id
    FROM crm_history.field_history
    WHERE table_name = :table AND changed_at > :at{{only_history}}
), mark AS (
    SELECT DISTINCT ON (record_id) record_id, column_name AS kind, old_value AS kept,
           {_ORDER}
    FROM after WHERE column_name IN ('{CREATED}', '{DELETED}')
    ORDER BY record_id, {_ORDER}
), firsts AS (
    SELECT DISTINCT ON (a.record_id, a.column_name) a.record_id, a.column_name, a.old_value
    FROM after a LEFT JOIN mark m USING (record_id)
    WHERE a.column_name NOT IN ('{CREATED}', '{DELETED}')
      AND (m.record_id IS NULL OR (a.changed_at, a.aggregate_version, a.event_id)
           <= (m.changed_at, m.aggregate_version, m.event_id))
    ORDER BY a.record_id, a.column_name, a.changed_at, a.aggregate_version, a.event_id
), undo AS (
    SELECT record_id, jsonb_object_agg(column_name, old_value) AS j
    FROM firsts GROUP BY record_id
), touched AS (
    SELECT DISTINCT record_id FROM after
), was AS MATERIALIZED (  -- every touched row that existed at T: its values then, as JSON
    SELECT t.record_id, (CASE WHEN m.kind = '{DELETED}' THEN m.kept::jsonb
                              ELSE to_jsonb(cur) END) || COALESCE(u.j, '{{{{}}}}') AS j
    FROM touched t
    LEFT JOIN mark m USING (record_id)
    LEFT JOIN undo u USING (record_id)
    LEFT JOIN {{live}} cur ON cur.{{key}}::text = t.record_id
    WHERE m.kind IS DISTINCT FROM '{CREATED}'
      AND (m.kind = '{DELETED}' OR cur.{{key}} IS NOT NULL)
)
INSERT INTO pg_temp.{{name}} ({{columns}})
SELECT {{key_cast}}, {{casts}} FROM was
UNION ALL
SELECT {{columns}} FROM {{live}} cur
WHERE NOT EXISTS (SELECT 1 FROM touched t WHERE t.record_id = cur.{{key}}::text){{only_live}}
"""


class AsOfError(ValueError):
    """The query cannot be answered as of T (refused rather than answered wrongly)."""


def parse_moment(value: str) -> datetime:
    """An as-of moment as naive UTC (field_history's changed_at). A bare date means the
    end of that day ("as of 2026-03-31" includes the 31st); an offset is converted."""
    try:
        if len(value.strip()) == 10:
            return datetime.combine(date.fromisoformat(value.strip()), time.max)
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AsOfError(f"not a date or timestamp: {value!r} (YYYY-MM-DD or "
                        "YYYY-MM-DDTHH:MM[:SS][+HH:MM])") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _code(query: str) -> str:
    """`query` with its string literals and comments blanked (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group()), query)


def tables_of(query: str) -> list[str]:
    """The read tables `query` names (by word: a false hit only costs a table built)."""
    words = set(re.findall(r"[a-z_][a-z0-9_]*", _code(query).lower()))
    return [name for name in TABLES if name in words]


def pin_clock(query: str, at: datetime) -> str:
    """`query` with its clock (CURRENT_DATE, CURRENT_TIMESTAMP, now(), LOCALTIMESTAMP)
    set to `at`: the report as it read at T."""
    code = _code(query)
    literal = {"current_date": f"DATE '{at.date().isoformat()}'",
               "localtimestamp": f"TIMESTAMP '{at.isoformat(sep=' ')}'"}
    out, last = [], 0
    for m in _CLOCK.finditer(code):
        word = m.group().lower()
        out += [query[last:m.start()],
                literal.get(word, f"TIMESTAMPTZ '{at.isoformat(sep=' ')}+00'")]
        last = m.end()
    return "".join(out) + query[last:]


def check(query: str) -> list[str]:
    """The read tables `query` needs; refuses what the as-of tables cannot answer."""
    if m := _QUALIFIED.search(_code(query)):
        raise AsOfError(f"{m.group(1)}.… names live data: as of T only the 25 read tables "
                        "exist, unqualified")
    named = set(re.findall(r"[a-z_][a-z0-9_]*", _code(query).lower()))
    if untracked := sorted(named & UNTRACKED):
        raise AsOfError(f"{', '.join(untracked)} is not in field history: its value at T "
                        "is unknown (the changed_at of a row's last change says when it "
                        "changed)")
    return tables_of(query)


def build(conn: Connection, at: datetime, tables: Iterable[str],
          record_id: str | None = None) -> None:
    """Create temporary tables `tables` in `conn`'s session holding their rows as of `at`
    (inside the caller's transaction); with `record_id`, only that row (one record's
    history is read, not the table's: an as-of read of one record costs milliseconds)."""
    for name in tables:
        _require_history(conn, name)
        conn.execute(text(f'DROP TABLE IF EXISTS pg_temp."{name}"'))
        create, insert = statements(conn, name, one=record_id is not None)
        conn.execute(text(create))
        conn.execute(text(insert), {"table": name, "at": at, "record": record_id})
        conn.execute(text(f'ANALYZE pg_temp."{name}"'))


def statements(conn: Connection, name: str, one: bool = False) -> tuple[str, str]:
    """The CREATE and the INSERT (parameters `table`, `at`, and with `one` the `record`)
    of table `name` as of T."""
    live = f'{LIVE_SCHEMA}."{name}"'
    types = conn.execute(text(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum"), {"t": live}).all()
    key = key_column(name)
    kinds = {c: t for c, t in types if c not in UNTRACKED}
    rest = [c for c in kinds if c != key]
    create = (f'CREATE TEMP TABLE "{name}" AS SELECT '
              f'{", ".join(_q(c) for c in kinds)} FROM {live} WITH NO DATA')
    insert = _ROWS_SQL.format(
        live=live, key=_q(key), name=_q(name),
        columns=", ".join(_q(c) for c in [key, *rest]),
        key_cast=f"CAST(record_id AS {kinds[key]})",
        casts=", ".join(f"CAST(j ->> '{c}' AS {kinds[c]})" for c in rest),
        only_history=" AND record_id = :record" if one else "",
        only_live=f" AND cur.{_q(key)} = :record" if one else "")
    return create, insert


def _require_history(conn: Connection, name: str) -> None:
    """Refuse a table with rows but no history (history off, or not rebuilt)."""
    empty = conn.execute(text(
        f'SELECT EXISTS (SELECT 1 FROM {LIVE_SCHEMA}."{name}") AND NOT EXISTS (SELECT 1 FROM '
        "crm_history.field_history WHERE table_name = :t AND column_name = :c)"),
        {"t": name, "c": CREATED}).scalar()
    if empty:
        raise AsOfError(f"{name} has rows but no field history (CRM_FIELD_HISTORY=0 when "
                        "it was projected?): `crm rebuild` with it on writes it")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def query_as_of(engine: Engine, query: str, at: datetime,
                ) -> tuple[list[str], list[Sequence[Any]]]:
    """Run the read-only `query` on the read tables as they stood at `at` (naive UTC)."""
    return _run(engine, text(pin_clock(query, at)), at, check(query))


def select_as_of(engine: Engine, statement: Executable, at: datetime, table: str,
                 record_id: str | None = None) -> tuple[list[str], list[Sequence[Any]]]:
    """Run a SELECT of one read table (`statement`, naming it unqualified and without
    `updated_at`) on that table as it stood at `at`; with `record_id` only that row is
    rebuilt (the API's one record as of T; its lists rebuild the table)."""
    return _run(engine, statement, at, [table], record_id)


def _run(engine: Engine, statement: Executable, at: datetime, tables: Sequence[str],
         record_id: str | None = None) -> tuple[list[str], list[Sequence[Any]]]:
    with _as_of_session(engine, at, tables, record_id) as conn:
        try:
            result = conn.execute(statement)
        except DBAPIError as exc:
            raise AsOfError(_explain(str(exc.orig).strip())) from None
        if not result.returns_rows:
            raise AsOfError("the statement returns no rows")
        return list(result.keys()), list(result.fetchall())


@contextlib.contextmanager
def _as_of_session(engine: Engine, at: datetime, tables: Sequence[str],
                   record_id: str | None) -> Iterator[Connection]:
    """A connection whose session has `tables` as of `at`, inside a READ ONLY transaction
    with an empty search_path (rolled back); the temporary tables dropped afterwards."""
    with engine.connect() as conn:
        try:
            with conn.begin():
                build(conn, at, tables, record_id)
            with conn.begin() as tx:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql("SET LOCAL search_path TO ''")
                yield conn
                tx.rollback()
        finally:
            conn.exec_driver_sql("DISCARD TEMP")  # the pooled session keeps nothing
            conn.commit()


def _explain(message: str) -> str:
    if "does not exist" in message:
        return (f"{message} (as of T only the 25 read tables exist: no extension table, "
                "no updated_at)")
    return message
