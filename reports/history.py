"""The whole life of one record, from crm_history.field_history (`crm history`).

A lead, account, opportunity, quote, case or contract: every change of its own row and of
the rows its events write (an opportunity's products and stage history, a quote's lines
and approvals), in order, with the event, the command that caused it and the actor.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

COLUMNS = ("changed_at", "event_type", "table_name", "record_id", "column_name",
           "old_value", "new_value", "command_id", "actor", "event_id")
# One query for `crm history` and the API's GET /v1/{resource}/{id}/history.
QUERY = (
    f"SELECT {', '.join(COLUMNS)} FROM crm_history.field_history "
    "WHERE record_id = :r OR aggregate_id = :r "
    # event time, then the aggregate's own order; within an event a stable column order
    'ORDER BY changed_at, aggregate_version, event_id, table_name, record_id COLLATE "C", '
    'column_name COLLATE "C"'
)


class Format(StrEnum):
    """Output formats of `crm history`."""

    table = "table"
    json = "json"


def record_history(engine: Engine, record_id: str) -> list[dict[str, Any]]:
    """Every field_history row of `record_id` (its rows and its events' rows), in order."""
    from sqlalchemy import text  # the CLI imports this module at start: keep it light

    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(QUERY), {"r": record_id})]


def _change(row: dict[str, Any]) -> str:
    column = row["column_name"]
    if column == "(created)":
        return "[green]created[/]"
    if column == "(deleted)":
        return "[red]deleted[/]"
    old = "∅" if row["old_value"] is None else row["old_value"]
    new = "∅" if row["new_value"] is None else row["new_value"]
    return f"{column}: {old} → {new}"


def print_history(console: Console, record_id: str, rows: list[dict[str, Any]],
                  fmt: Format = Format.table) -> None:
    """`rows` as a rich table (one line per change) or as JSON (one object per change)."""
    if fmt is Format.json:
        console.print_json(json.dumps(rows, default=str))
        return
    table = Table(title=f"History of {record_id} ({len(rows)} changes)")
    for name in ("When (UTC)", "Event", "Row", "Change", "Command", "Actor"):
        table.add_column(name, overflow="fold")
    for row in rows:
        where = row["table_name"] + ("" if row["record_id"] == record_id
                                     else f" {row['record_id']}")
        table.add_row(str(row["changed_at"]), row["event_type"], where, _change(row),
                      row["command_id"] or "", row["actor"] or "")
    console.print(table)
