"""The batch write path: merged upserts into PostgreSQL, offsets in the same transaction.

Each table gets one `INSERT ... ON CONFLICT DO UPDATE ... WHERE version is newer` per
column set, sent with psycopg2's `execute_values` (many rows per statement). The
consumer offsets are written by the same transaction, so rows and position commit or
roll back together: a crash can never leave one without the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, execute_values

from domain.messages import Event
from projectors.projection import Upsert, merge, rows_for

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
        all_cols = [*columns, "aggregate_version"]
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in all_cols if c not in key_cols)
        sql = (
            f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in all_cols)}) '
            f"VALUES %s ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {updates} "
            f'WHERE "{table}".aggregate_version < EXCLUDED.aggregate_version'
        )
        execute_values(cur, sql, rows, page_size=2000)
    return len(upserts)


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
