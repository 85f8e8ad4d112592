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
offsets (projectors/offsets.py) are written by the same transaction, so rows and position
commit or roll back together: a crash can never leave one without the other. The COPY
text is built in projectors/copy_text.py, the statements in projectors/write_sql.py.

Why COPY + staging: PostgreSQL parses a multi-row VALUES statement of thousands of rows
far slower than it reads the same rows from COPY, and building the COPY text costs less
Python than binding every value (the profiles are in docs/benchmarks.md).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import Json, execute_values

from domain.kernel.messages import Event
from projectors import history
from projectors.copy_text import NotCopyable, copy_lines
from projectors.offsets import load_offsets, save_offsets
from projectors.projection import Delete, Upsert, merge, writes_by_event
from projectors.tables import EXTENSION_TABLES
from projectors.tables import VERSION_COLUMN as VERSION
from projectors.write_sql import (
    STAGED_TABLES_SQL,
    column_types,
    ensure_staging,
    from_stage_sql,
    quoted,
    required_columns,
    row_values,
    stage_name,
    update_sql,
    upsert_sql,
)

__all__ = ["apply_again", "apply_events", "load_offsets", "save_offsets"]

JSONB_COLUMNS = frozenset({"integration_data"})


def _sql_value(column: str, value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # read model stores UTC, no tz
    if column in JSONB_COLUMNS and value is not None:
        return Json(value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value))  # JSON-array text columns (sales_team, countries)
    return value


def apply_events(conn: PgConnection, events: Iterable[Event], prelude: str = "",
                 then: str = "") -> int:
    """Project a batch of events; returns the number of row writes sent. No commit.

    `prelude` (SQL) is sent first, `then` (SQL) after the batch's writes, each in the same
    round trip as the writer's own first and last statement (projectors/commit.py: the
    projection lock, the offsets): a live batch is a few events, so round trips are most
    of its cost.
    """
    pairs = writes_by_event(events)
    by_table = merge(w for _, writes in pairs for w in writes)
    written = 0
    staged: list[tuple[str, list[str], list[tuple[list[str], list[str]]]]] = []
    with conn.cursor() as cur:
        track = history.enabled() and bool(by_table or by_table.deletes)
        first = [prelude] if prelude else []
        first += _search_path_sql(cur, [*by_table, *by_table.deletes,
                                        *([history.HISTORY_TABLE] if track else [])])
        list_staging = not conn.autocommit and bool(by_table or track)
        if list_staging:
            first.append(STAGED_TABLES_SQL)
        existing: set[str] | None = None
        if first:
            cur.execute(";\n".join(first))
            if list_staging:
                existing = {name for (name,) in cur.fetchall()}
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
            if then:
                cur.execute(then)
            return written
        for table, upserts in sorted(by_table.items()):
            written += len(upserts)
            lines: list[str] = []
            copied: list[tuple[list[str], list[str]]] = []
            for key_cols, all_cols, group in _groups(upserts):
                try:
                    lines += copy_lines(table, len(copied), key_cols, all_cols, group)
                    copied.append((key_cols, all_cols))
                except NotCopyable:
                    _write_group_values(cur, table, key_cols, all_cols, group)
            if copied:
                staged.append((table, lines, copied))
        last = [then] if then else []
        if staged:
            ensure_staging(cur, [table for table, _, _ in staged], existing)
            for table, lines, _ in staged:
                lines.append("")
                cur.copy_expert(f"COPY pg_temp.{stage_name(table)} FROM STDIN",
                                io.StringIO("\n".join(lines)))
            last[:0] = [from_stage_sql(table, n, key_cols, all_cols, single=len(groups) == 1)
                        for table, _, groups in staged
                        for n, (key_cols, all_cols) in enumerate(groups)]
        if last:
            cur.execute(";\n".join(last))
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
            cur.execute("TRUNCATE " + ", ".join(f"pg_temp.{quoted(n)}" for n in names))
    return apply_events(conn, events)


_EXTENSION_SCHEMAS = tuple(sorted({str(t.schema) for t in EXTENSION_TABLES.values()}))


def reach_extensions(cur: Any, tables: Iterable[str]) -> None:
    """Append the extension schemas to this session's search_path (once per session).

    Tables are written by plain name, so the extension tables (docs/read-model-extensions.md)
    resolve through the search_path: to their own schema normally, and to `crm_rebuild`
    during a rebuild (built there, which is first on that session's path).
    """
    for statement in _search_path_sql(cur, tables):
        cur.execute(statement)


def _search_path_sql(cur: Any, tables: Iterable[str]) -> list[str]:
    """`reach_extensions`' statements as text (none when no extension table is written)."""
    if not any(table in EXTENSION_TABLES for table in tables):
        return []
    return [cur.mogrify("SELECT set_config('search_path', current_setting('search_path') "
                        "|| ', ' || quote_ident(%s), false) WHERE NOT %s = "
                        "ANY(current_schemas(false))", (schema, schema)).decode()
            for schema in _EXTENSION_SCHEMAS]


def _delete_rows(cur: Any, table: str, deletes: Sequence[Delete]) -> None:
    """Delete the rows of `deletes` whose stored version is not newer than the delete's.

    A row re-created by a later event (a higher version) stays when the old delete is
    delivered again.
    """
    key_cols = [k for k, _ in deletes[0].key]
    types = column_types(table)
    template = "(" + ", ".join(f"%s::{types[c]}" for c in key_cols) + ", %s::bigint)"
    match = " AND ".join(f"t.{quoted(c)} = v.{quoted(c)}" for c in key_cols)
    execute_values(
        cur,
        f"DELETE FROM {quoted(table)} AS t USING (VALUES %s) AS v "
        f"({', '.join(map(quoted, key_cols))}, {VERSION}) "
        f"WHERE {match} AND t.{VERSION} <= v.{VERSION}",
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


def _write_group_values(cur: Any, table: str, key_cols: list[str], all_cols: list[str],
                        group: Sequence[Upsert]) -> None:
    """One multi-row statement with bound values (the fallback of the COPY path)."""
    n_keys = len(key_cols)
    rows = [[_sql_value(c, v) for c, v in zip(all_cols, row_values(u, all_cols, n_keys),
                                             strict=True)] for u in group]
    if required_columns(table) <= set(all_cols):
        sql, template = upsert_sql(table, key_cols, all_cols), None
    else:
        sql, template = update_sql(table, key_cols, all_cols)
    execute_values(cur, sql, rows, template=template, page_size=2000)
