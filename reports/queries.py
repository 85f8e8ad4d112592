"""Read-only queries and their rendering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


def read_only_query(engine: Engine, query: str) -> tuple[list[str], list[Sequence[Any]]]:
    """Run `query` in a READ ONLY transaction; any write is refused by PostgreSQL itself."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        try:
            result = conn.execute(text(query))
        except DBAPIError as exc:
            raise ValueError(str(exc.orig).strip()) from None
        if not result.returns_rows:
            raise ValueError("the statement returns no rows")
        rows = list(result.fetchall())
        columns = list(result.keys())
        conn.rollback()
    return columns, rows


def print_rows(console: Console, columns: list[str], rows: Sequence[Sequence[Any]],
               title: str | None = None) -> None:
    """A rich table of query results."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    console.print(f"[dim]{len(rows)} row(s)[/]")
