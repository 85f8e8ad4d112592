"""The SQL of the write path: staging tables, version-guarded inserts and updates.

Each table's statements are built from its column model (projectors/tables.py) and
cached; a row is only ever overwritten by one carrying a newer version.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql

from projectors.projection import Upsert
from projectors.tables import PROJECTED_TABLES
from projectors.tables import VERSION_COLUMN as VERSION


def row_values(u: Upsert, columns: Sequence[str], n_keys: int) -> list[Any]:
    """A row's values in `columns` order (keys first, then values, then the version)."""
    return ([v for _, v in u.key] + [u.values[c] for c in columns[n_keys:-1]] + [u.version])


@cache
def column_positions(table: str) -> dict[str, int]:
    """Each column's place in the staging table's row (the COPY line's field)."""
    return {c: i for i, c in enumerate(column_types(table))}


@cache
def stage_name(table: str) -> str:
    """The staging table of `table`; its name changes when the column model does."""
    definition = ",".join(f"{c} {t}" for c, t in column_types(table).items())
    return f"_stage_{table}_{zlib.crc32(definition.encode()):08x}"


STAGED_TABLES_SQL = ("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                     "AND relkind = 'r'")
"""The session's temporary tables (the staging tables that exist)."""


def ensure_staging(cur: Any, tables: Sequence[str], existing: set[str] | None = None) -> None:
    """Create the session's staging tables that do not exist yet (one query when all do;
    none when the caller read `existing` already, from STAGED_TABLES_SQL)."""
    if existing is None:
        cur.execute(STAGED_TABLES_SQL)
        existing = {name for (name,) in cur.fetchall()}
    missing = [t for t in tables if stage_name(t) not in existing]
    if missing:
        cur.execute(";\n".join(
            f"CREATE TEMP TABLE {stage_name(t)} ("
            + ", ".join(f"{quoted(c)} {ty}" for c, ty in column_types(t).items())
            + ", _grp integer) ON COMMIT DELETE ROWS" for t in missing))


def from_stage_sql(table: str, n: int, key_cols: list[str], all_cols: list[str],
                    single: bool) -> str:
    """Apply group `n` of the staged rows: creating insert-or-update, or a patch."""
    stage = f"pg_temp.{stage_name(table)}"
    where = "" if single else f" WHERE s._grp = {n}"
    if required_columns(table) <= set(all_cols):
        updates = ", ".join(f"{quoted(c)} = EXCLUDED.{quoted(c)}" for c in all_cols
                            if c not in key_cols)
        return (
            f"INSERT INTO {quoted(table)} ({', '.join(map(quoted, all_cols))}) "
            f"SELECT {', '.join(f's.{quoted(c)}' for c in all_cols)} FROM {stage} AS s{where} "
            f"ON CONFLICT ({', '.join(map(quoted, key_cols))}) DO UPDATE SET {updates} "
            f"WHERE {quoted(table)}.{VERSION} < EXCLUDED.{VERSION}"
        )
    sets = ", ".join(f"{quoted(c)} = s.{quoted(c)}" for c in all_cols if c not in key_cols)
    match = " AND ".join(f"t.{quoted(c)} = s.{quoted(c)}" for c in key_cols)
    where = " AND s._grp = " + str(n) if not single else ""
    return (
        f"UPDATE {quoted(table)} AS t SET {sets} FROM {stage} AS s "
        f"WHERE {match} AND t.{VERSION} < s.{VERSION}{where}"
    )


def upsert_sql(table: str, key_cols: list[str], all_cols: list[str]) -> str:
    """A creating write: insert, or update an existing row with an older version."""
    updates = ", ".join(f"{quoted(c)} = EXCLUDED.{quoted(c)}" for c in all_cols
                        if c not in key_cols)
    return (
        f"INSERT INTO {quoted(table)} ({', '.join(map(quoted, all_cols))}) VALUES %s "
        f"ON CONFLICT ({', '.join(map(quoted, key_cols))}) DO UPDATE SET {updates} "
        f"WHERE {quoted(table)}.{VERSION} < EXCLUDED.{VERSION}"
    )


def update_sql(table: str, key_cols: list[str], all_cols: list[str]) -> tuple[str, str]:
    """A patch of some columns: an UPDATE joined to typed VALUES.

    Not an upsert: PostgreSQL checks NOT NULL on the proposed insert row before it looks
    for a conflict, so a partial row cannot go through INSERT ... ON CONFLICT.
    """
    types = column_types(table)
    template = "(" + ", ".join(f"%s::{types[c]}" for c in all_cols) + ")"
    sets = ", ".join(f"{quoted(c)} = v.{quoted(c)}" for c in all_cols if c not in key_cols)
    match = " AND ".join(f"t.{quoted(c)} = v.{quoted(c)}" for c in key_cols)
    sql = (
        f"UPDATE {quoted(table)} AS t SET {sets} "
        f"FROM (VALUES %s) AS v ({', '.join(map(quoted, all_cols))}) "
        f"WHERE {match} AND t.{VERSION} < v.{VERSION}"
    )
    return sql, template


def quoted(name: str) -> str:
    """An identifier, quoted."""
    return f'"{name}"'


@cache
def required_columns(table: str) -> frozenset[str]:
    """Columns an inserted row must carry (NOT NULL without a server default)."""
    return frozenset(
        c.name for c in PROJECTED_TABLES[table].columns
        if not c.nullable and c.server_default is None
    )


@cache
def column_types(table: str) -> dict[str, str]:
    """Each column's PostgreSQL type, as DDL spells it."""
    dialect = postgresql.dialect()
    return {c.name: c.type.compile(dialect=dialect) for c in PROJECTED_TABLES[table].columns}
