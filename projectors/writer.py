"""The batch write path: merged upserts into PostgreSQL, offsets in the same transaction.

A batch's writes are folded per row (`projection.merge`). Deletes go first, one
`DELETE ... USING (VALUES ...)` per table, each row only if its stored version is not newer.
The upserts are then grouped per table and column set. Every group is streamed with one
`COPY` per table into a session-local staging table (`pg_temp`, emptied at each commit),
and all groups are then applied by one multi-statement round trip:
`INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE version is newer` for rows being
created, `UPDATE ... FROM staging WHERE version is newer` for patches of existing rows.
(A group holding a value COPY text cannot carry exactly as the driver would bind it falls
back to one multi-row `execute_values` statement, same SQL semantics.) The consumer
offsets are written by the same transaction, so rows and position commit or roll back
together: a crash can never leave one without the other.

Why COPY + staging: PostgreSQL parses a multi-row VALUES statement of thousands of rows
far slower than it reads the same rows from COPY, and building the COPY text costs less
Python than binding every value (docs/benchmarks.md has the profiles).
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, execute_values
from sqlalchemy.dialects import postgresql

from domain.kernel.messages import Event
from projectors import history
from projectors.projection import Delete, Upsert, merge, writes_by_event
from projectors.tables import EXTENSION_TABLES, PROJECTED_TABLES
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
    pairs = writes_by_event(events)
    by_table = merge(w for _, writes in pairs for w in writes)
    written = 0
    staged: list[tuple[str, list[str], list[tuple[list[str], list[str]]]]] = []
    with conn.cursor() as cur:
        track = history.enabled() and bool(by_table or by_table.deletes)
        _reach_extensions(cur, [*by_table, *by_table.deletes,
                                *([history.HISTORY_TABLE] if track else [])])
        if track:  # read before the batch's writes change the stored rows
            changes = history.field_changes(cur, pairs)
            if changes:
                by_table[history.HISTORY_TABLE] = changes
        for table, deletes in sorted(by_table.deletes.items()):
            written += len(deletes)
            _delete_rows(cur, table, deletes)
        if conn.autocommit:  # staging would be emptied by each statement's own commit
            for table, upserts in sorted(by_table.items()):
                written += len(upserts)
                for key_cols, all_cols, group in _groups(upserts):
                    _write_group_values(cur, table, key_cols, all_cols, group)
            return written
        for table, upserts in sorted(by_table.items()):
            written += len(upserts)
            lines: list[str] = []
            copied: list[tuple[list[str], list[str]]] = []
            for key_cols, all_cols, group in _groups(upserts):
                try:
                    lines += _copy_lines(table, len(copied), key_cols, all_cols, group)
                    copied.append((key_cols, all_cols))
                except _NotCopyable:
                    _write_group_values(cur, table, key_cols, all_cols, group)
            if copied:
                staged.append((table, lines, copied))
        if staged:
            _ensure_staging(cur, [table for table, _, _ in staged])
            for table, lines, _ in staged:
                lines.append("")
                cur.copy_expert(f"COPY pg_temp.{_stage_name(table)} FROM STDIN",
                                io.StringIO("\n".join(lines)))
            cur.execute(";\n".join(
                _from_stage_sql(table, n, key_cols, all_cols, single=len(groups) == 1)
                for table, _, groups in staged
                for n, (key_cols, all_cols) in enumerate(groups)))
    return written


def apply_again(conn: PgConnection, events: Iterable[Event]) -> int:
    """`apply_events` once more in the same transaction (the projector's refusal path).

    Staged rows are only emptied at commit (ON COMMIT DELETE ROWS): a second call in one
    transaction would apply the first call's rows once more. This empties them first.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                    "AND relkind = 'r' AND relname LIKE '\\_stage\\_%'")
        names = [name for (name,) in cur.fetchall()]
        if names:
            cur.execute("TRUNCATE " + ", ".join(f"pg_temp.{_q(n)}" for n in names))
    return apply_events(conn, events)


_EXTENSION_SCHEMAS = tuple(sorted({str(t.schema) for t in EXTENSION_TABLES.values()}))


def _reach_extensions(cur: Any, tables: Iterable[str]) -> None:
    """Append the extension schemas to this session's search_path (once per session).

    Tables are written by plain name, so the extension tables (docs/read-model-extensions.md)
    resolve through the search_path: to their own schema normally, and to `crm_rebuild`
    during a rebuild (built there, which is first on that session's path).
    """
    if not any(table in EXTENSION_TABLES for table in tables):
        return
    for schema in _EXTENSION_SCHEMAS:
        cur.execute("SELECT set_config('search_path', current_setting('search_path') || ', '"
                    " || quote_ident(%s), false) WHERE NOT %s = ANY(current_schemas(false))",
                    (schema, schema))


def _delete_rows(cur: Any, table: str, deletes: Sequence[Delete]) -> None:
    """Delete the rows of `deletes` whose stored version is not newer than the delete's.

    A row re-created by a later event (a higher version) stays when the old delete is
    delivered again.
    """
    key_cols = [k for k, _ in deletes[0].key]
    types = _column_types(table)
    template = "(" + ", ".join(f"%s::{types[c]}" for c in key_cols) + ", %s::bigint)"
    match = " AND ".join(f"t.{_q(c)} = v.{_q(c)}" for c in key_cols)
    execute_values(
        cur,
        f"DELETE FROM {_q(table)} AS t USING (VALUES %s) AS v "
        f"({', '.join(map(_q, key_cols))}, {VERSION}) WHERE {match} AND t.{VERSION} <= v.{VERSION}",
        [[_sql_value(c, v) for c, v in d.key] + [d.version] for d in deletes],
        template=template, page_size=2000)


def _groups(upserts: Sequence[Upsert]) -> list[tuple[list[str], list[str], list[Upsert]]]:
    """Upserts of one table grouped by column set: (key columns, all columns, rows)."""
    groups: dict[tuple[str, ...], list[Upsert]] = {}
    for u in upserts:
        columns = tuple(k for k, _ in u.key) + tuple(sorted(u.values))
        groups.setdefault(columns, []).append(u)
    out = []
    for columns, group in groups.items():
        key_cols = [k for k, _ in group[0].key]
        out.append((key_cols, [*columns, VERSION], group))
    return out


def _row_values(u: Upsert, columns: Sequence[str], n_keys: int) -> list[Any]:
    """A row's values in `columns` order (keys first, then values, then the version)."""
    return ([v for _, v in u.key] + [u.values[c] for c in columns[n_keys:-1]] + [u.version])


def _write_group_values(cur: Any, table: str, key_cols: list[str], all_cols: list[str],
                        group: Sequence[Upsert]) -> None:
    """One multi-row statement with bound values (the fallback of the COPY path)."""
    n_keys = len(key_cols)
    rows = [[_sql_value(c, v) for c, v in zip(all_cols, _row_values(u, all_cols, n_keys),
                                             strict=True)] for u in group]
    if _required(table) <= set(all_cols):
        sql, template = _upsert_sql(table, key_cols, all_cols), None
    else:
        sql, template = _update_sql(table, key_cols, all_cols)
    execute_values(cur, sql, rows, template=template, page_size=2000)


# -- COPY into staging -----------------------------------------------------------------


class _NotCopyable(Exception):
    """A value whose COPY text could differ from what the driver would bind."""


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


def _as_str(v: Any) -> str:
    if type(v) is str:
        if v.isprintable() and "\\" not in v:  # no tab, newline, CR or backslash (fast)
            return v
        return v.translate(_ESCAPES)
    if isinstance(v, list | tuple):
        return _text(json.dumps(list(v)))
    raise _NotCopyable


def _as_int(v: Any) -> str:
    if type(v) is int:
        return str(v)
    raise _NotCopyable


def _as_numeric(v: Any) -> str:
    if type(v) is Decimal or type(v) is int:
        return str(v)
    raise _NotCopyable


def _as_bool(v: Any) -> str:
    if type(v) is bool:
        return "t" if v else "f"
    raise _NotCopyable


def _as_date(v: Any) -> str:
    if type(v) is date:
        return v.isoformat()
    raise _NotCopyable


def _as_timestamp(v: Any) -> str:
    if type(v) is datetime:
        if v.tzinfo is UTC:  # every decoded timestamp: drop "+00:00" instead of replace()
            return v.isoformat()[:-6]
        if v.tzinfo is not None:
            if v.utcoffset():
                v = v.astimezone(UTC)
            v = v.replace(tzinfo=None)
        return v.isoformat()
    raise _NotCopyable


def _as_json(v: Any) -> str:
    return _text(json.dumps(v))


_FORMATS: dict[str, Callable[[Any], str]] = {
    "VARCHAR": _as_str, "TEXT": _as_str, "INTEGER": _as_int, "BIGINT": _as_int,
    "NUMERIC": _as_numeric, "BOOLEAN": _as_bool, "DATE": _as_date,
    "TIMESTAMP WITHOUT TIME ZONE": _as_timestamp, "JSONB": _as_json,
}


@cache
def _formats(table: str, columns: tuple[str, ...]) -> tuple[Callable[[Any], str], ...] | None:
    """COPY text formatters for `columns`, or None when a column type has none."""
    types = _column_types(table)
    out = []
    for c in columns:
        fmt = _FORMATS.get(types[c].split("(")[0])
        if fmt is None:
            return None
        out.append(fmt)
    return tuple(out)


def _copy_lines(table: str, n: int, key_cols: list[str], all_cols: list[str],
                group: Sequence[Upsert]) -> list[str]:
    """COPY text lines of one group: every staging column, `_grp` = n last."""
    formats = _formats(table, tuple(all_cols))
    if formats is None:
        raise _NotCopyable(table)
    position = _positions(table)
    slots = [position[c] for c in all_cols]
    empty = ["\\N"] * len(position) + [str(n)]
    n_keys = len(key_cols)
    lines = []
    for u in group:
        fields = list(empty)
        for slot, fmt, value in zip(slots, formats, _row_values(u, all_cols, n_keys),
                                    strict=True):
            if value is not None:
                fields[slot] = fmt(value)
        lines.append("\t".join(fields))
    return lines


@cache
def _positions(table: str) -> dict[str, int]:
    return {c: i for i, c in enumerate(_column_types(table))}


@cache
def _stage_name(table: str) -> str:
    """The staging table of `table`; its name changes when the column model does."""
    definition = ",".join(f"{c} {t}" for c, t in _column_types(table).items())
    return f"_stage_{table}_{zlib.crc32(definition.encode()):08x}"


def _ensure_staging(cur: Any, tables: Sequence[str]) -> None:
    """Create the session's staging tables that do not exist yet (one query when all do)."""
    cur.execute("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                "AND relkind = 'r'")
    existing = {name for (name,) in cur.fetchall()}
    missing = [t for t in tables if _stage_name(t) not in existing]
    if missing:
        cur.execute(";\n".join(
            f"CREATE TEMP TABLE {_stage_name(t)} ("
            + ", ".join(f"{_q(c)} {ty}" for c, ty in _column_types(t).items())
            + ", _grp integer) ON COMMIT DELETE ROWS" for t in missing))


def _from_stage_sql(table: str, n: int, key_cols: list[str], all_cols: list[str],
                    single: bool) -> str:
    """Apply group `n` of the staged rows: creating insert-or-update, or a patch."""
    stage = f"pg_temp.{_stage_name(table)}"
    where = "" if single else f" WHERE s._grp = {n}"
    if _required(table) <= set(all_cols):
        updates = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in all_cols
                            if c not in key_cols)
        return (
            f"INSERT INTO {_q(table)} ({', '.join(map(_q, all_cols))}) "
            f"SELECT {', '.join(f's.{_q(c)}' for c in all_cols)} FROM {stage} AS s{where} "
            f"ON CONFLICT ({', '.join(map(_q, key_cols))}) DO UPDATE SET {updates} "
            f"WHERE {_q(table)}.{VERSION} < EXCLUDED.{VERSION}"
        )
    sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in all_cols if c not in key_cols)
    match = " AND ".join(f"t.{_q(c)} = s.{_q(c)}" for c in key_cols)
    where = " AND s._grp = " + str(n) if not single else ""
    return (
        f"UPDATE {_q(table)} AS t SET {sets} FROM {stage} AS s "
        f"WHERE {match} AND t.{VERSION} < s.{VERSION}{where}"
    )


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
        c.name for c in PROJECTED_TABLES[table].columns
        if not c.nullable and c.server_default is None
    )


@cache
def _column_types(table: str) -> dict[str, str]:
    dialect = postgresql.dialect()
    return {c.name: c.type.compile(dialect=dialect) for c in PROJECTED_TABLES[table].columns}


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
