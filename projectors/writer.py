"""The batch write path: merged upserts into PostgreSQL, offsets in the same transaction.

Each table gets, per column set, one multi-row statement (psycopg2 `execute_values`):
`INSERT ... ON CONFLICT DO UPDATE ... WHERE version is newer` for rows being created, or
`UPDATE ... FROM (VALUES ...) WHERE version is newer` for patches of existing rows. The
consumer offsets are written by the same transaction, so rows and position commit or
roll back together: a crash can never leave one without the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, execute_values
from sqlalchemy.dialects import postgresql

from domain.messages import Event
from projectors.projection import Upsert, merge, rows_for
from projectors.tables import TABLES
from projectors.tables import VERSION_COLUMN as VERSION

OFFSETS_TABLE = "crm_meta.projector_offsets"
JSONB_COLUMNS = frozenset({"integration_data"})


def _sql_value(column: str, value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # read model stores UTC, no tz
    if column in JSONB_COLUMNS and value is not None:
        return Json(value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value))  # JSON-array text columns (sales_team, countries)
    return value


def apply_events(conn: PgConnection, events: Iterable[Event]) -> int:
    """Project a batch of events; returns the number of row writes sent. No commit."""
    by_table = merge(rows_for(events))
    written = 0
    with conn.cursor() as cur:
        for table, upserts in sorted(by_table.items()):
            written += _write_table(cur, table, upserts)
    return written


def _write_table(cur: Any, table: str, upserts: Sequence[Upsert]) -> int:
    groups: dict[tuple[str, ...], list[Upsert]] = {}
    for u in upserts:
        columns = tuple(k for k, _ in u.key) + tuple(sorted(u.values))
        groups.setdefault(columns, []).append(u)
    for columns, group in groups.items():
        key_cols = [k for k, _ in group[0].key]
        rows = [
            [_sql_value(c, v) for c, v in u.key]
            + [_sql_value(c, u.values[c]) for c in columns[len(key_cols) :]]
            + [u.version]
            for u in group
        ]
        all_cols = [*columns, VERSION]
        if _required(table) <= set(columns):
            sql, template = _upsert_sql(table, key_cols, all_cols), None
        else:
            sql, template = _update_sql(table, key_cols, all_cols)
        execute_values(cur, sql, rows, template=template, page_size=2000)
    return len(upserts)


def _upsert_sql(table: str, key_cols: list[str], all_cols: list[str]) -> str:
    """A creating write: insert, or update an existing row with an older version."""
    updates = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in all_cols if c not in key_cols)
    return (
        f"INSERT INTO {_q(table)} ({', '.join(map(_q, all_cols))}) VALUES %s "
        f"ON CONFLICT ({', '.join(map(_q, key_cols))}) DO UPDATE SET {updates} "
        f"WHERE {_q(table)}.{VERSION} < EXCLUDED.{VERSION}"
    )


def _update_sql(table: str, key_cols: list[str], all_cols: list[str]) -> tuple[str, str]:
    """A patch of some columns: an UPDATE joined to typed VALUES.

    Not an upsert: PostgreSQL checks NOT NULL on the proposed insert row before it looks
    for a conflict, so a partial row cannot go through INSERT ... ON CONFLICT.
    """
    types = _column_types(table)
    template = "(" + ", ".join(f"%s::{types[c]}" for c in all_cols) + ")"
    sets = ", ".join(f"{_q(c)} = v.{_q(c)}" for c in all_cols if c not in key_cols)
    match = " AND ".join(f"t.{_q(c)} = v.{_q(c)}" for c in key_cols)
    sql = (
        f"UPDATE {_q(table)} AS t SET {sets} "
        f"FROM (VALUES %s) AS v ({', '.join(map(_q, all_cols))}) "
        f"WHERE {match} AND t.{VERSION} < v.{VERSION}"
    )
    return sql, template


def _q(name: str) -> str:
    return f'"{name}"'


@cache
def _required(table: str) -> frozenset[str]:
    """Columns an inserted row must carry (NOT NULL without a server default)."""
    return frozenset(
        c.name for c in TABLES[table].columns if not c.nullable and c.server_default is None
    )


@cache
def _column_types(table: str) -> dict[str, str]:
    dialect = postgresql.dialect()
    return {c.name: c.type.compile(dialect=dialect) for c in TABLES[table].columns}


def load_offsets(conn: PgConnection, group: str) -> dict[tuple[str, int], int]:
    """The next offset to read per (topic, partition) for a consumer group."""
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT topic, partition, next_offset FROM {OFFSETS_TABLE} WHERE consumer_group = %s",
            (group,),
        )
        return {(t, p): o for t, p, o in cur.fetchall()}


def save_offsets(conn: PgConnection, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Record positions inside the caller's transaction."""
    if not offsets:
        return
    rows = [(group, t, p, o) for (t, p), o in sorted(offsets.items())]
    with conn.cursor() as cur:
        execute_values(
            cur,
            f"INSERT INTO {OFFSETS_TABLE} (consumer_group, topic, partition, next_offset, "
            "updated_at) VALUES %s ON CONFLICT (consumer_group, topic, partition) DO UPDATE "
            "SET next_offset = EXCLUDED.next_offset, updated_at = now()",
            rows,
            template="(%s, %s, %s, %s, now())",
        )
