"""Field history (issue 19): one `crm_history.field_history` row per changed column.

The writer calls `field_changes` with a batch's events and their writes before it applies
them. The stored rows the batch touches are read first, one query per table (PostgreSQL
is the only place that knows them), then each event's writes are walked in order against
those values, as a one-event-at-a-time projector would apply them: a column whose value
differs gives a row (old value, new value, the event, its command and actor). The rows
are upserts of the extension table `field_history`, written by the same COPY path and in
the same transaction as the read rows and the offsets: exactly once, rebuilt by
`crm rebuild`, digested by `crm checksum`.

Because the walk is per event (not per merged batch), the history does not depend on how
the log was cut into batches: a live projector and a rebuild write the same rows. Like
the writer, the walk skips a write whose version is not newer than the stored row's.

A new row is one row, column `(created)` (its first values are the row's values less
the later changes); a deleted row is one row, column `(deleted)`, its old value the row
as JSON. `updated_at` is not tracked (the `changed_at` of a row's last change says it).
Values are text: numbers at the column's scale, timestamps in UTC
(`YYYY-MM-DD HH:MM:SS`), booleans `true`/`false`, JSON as sorted JSON
(projectors/history_values.py).
`CRM_FIELD_HISTORY=0` turns the history off (docs/time-travel.md has its cost).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from domain.kernel.messages import Event
from projectors.history_values import as_text, canonical, converters, default_text, utc_naive
from projectors.projection import Delete, Upsert, Write
from projectors.tables import PROJECTED_TABLES, VERSION_COLUMN, key_column
from projectors.write_sql import required_columns

HISTORY_TABLE = "field_history"
CREATED = "(created)"
DELETED = "(deleted)"
SETTING = "CRM_FIELD_HISTORY"
# Who did it: the envelope's `actor` (the principal that submitted the command). Events
# written before the envelope had it (decoded with actor None) fall back to the first of
# these payload fields the event has (who changed, performed, decided). Not an upcaster:
# the field was added compatibly, and the log really did not record a submitter then.
ACTOR_FIELDS = ("changed_by", "performed_by", "approver_id", "decided_by", "closed_by",
                "converted_by", "recorded_by", "approved_by", "prepared_by", "created_by")

# Not tracked: when a row last changed is the changed_at of its last change (as
# Salesforce's field history leaves LastModifiedDate out).
UNTRACKED = frozenset({"updated_at", VERSION_COLUMN})
_Key = tuple[tuple[str, Any], ...]
# (event_id, table, record, column) -> (old text, new text, the event's stamp, version)
_Out = dict[tuple[str, str, str, str], tuple[str | None, str | None, dict[str, Any], int]]
_MISSING = object()
State = dict[tuple[str, _Key], tuple[int, dict[str, Any]] | None]
"""Rows by (table, key): their version and values (compared form), None once deleted."""
Changes = _Out
"""What `walk` found: a history row per (event, table, record, column)."""


def enabled() -> bool:
    """Field history is written unless `CRM_FIELD_HISTORY` is 0/false/no/off."""
    return os.environ.get(SETTING, "1").strip().lower() not in {"0", "false", "no", "off"}


def field_changes(cur: Any, pairs: Sequence[tuple[Event, Sequence[Write]]]) -> list[Upsert]:
    """The field_history upserts of a batch (`pairs`: each event with its writes), read
    against the stored rows through `cur` (inside the writer's transaction)."""
    wanted: dict[str, dict[Any, None]] = {}  # table -> keys (ordered, for a stable query)
    columns: dict[str, set[str]] = {}
    whole: set[str] = set()  # tables with a delete: their whole rows are read
    for _, writes in pairs:
        for w in writes:
            wanted.setdefault(w.table, {})[w.key[0][1]] = None
            if isinstance(w, Delete):
                whole.add(w.table)
            else:
                columns.setdefault(w.table, set()).update(w.values)
    state: State = {}
    for table, keys in sorted(wanted.items()):
        cols = None if table in whole else sorted(columns.get(table, ()))
        state.update(stored_rows(cur, table, list(keys), cols))
    out: _Out = {}
    for event, writes in pairs:
        if writes:
            walk(event, writes, state, out)
    return upserts(out)


def walk(event: Event, writes: Sequence[Write], state: State, out: _Out | None) -> None:
    """Apply one event's writes to `state` (each row's version and values, in the form
    they are compared in), adding a history row per change to `out` (None: no history,
    the state alone, as `crm rebuild`'s in-memory fold keeps it)."""
    stamp: dict[str, Any] = {}

    def emit(table: str, key: _Key, column: str, old: str | None, new: str | None) -> None:
        if out is None:
            return
        if not stamp:  # most writes change something, but not all: only then
            stamp.update(_stamp(event))
        # every read table has a one-column key: its value is the record id (a joined
        # generator per history row was ~4 % of the fold's time)
        record = str(key[0][1]) if len(key) == 1 else "/".join(str(v) for _, v in key)
        _add(out, event, stamp, table, record, column, old, new)

    for w in writes:
        slot = (w.table, w.key)
        row = state.get(slot)
        if isinstance(w, Delete):
            if row is not None and row[0] <= w.version:
                old = json.dumps({c: as_text(w.table, c, v) for c, v in sorted(row[1].items())
                                  if v is not None}, sort_keys=True)
                emit(w.table, w.key, DELETED, old, None)
                state[slot] = None
            continue
        conv = converters(w.table)
        if row is None:
            if not required_columns(w.table) <= {k for k, _ in w.key}.union(w.values):
                continue  # a patch of a row that is not there changes nothing
            state[slot] = (w.version, {c: canonical(conv, c, v) for c, v in w.values.items()})
            emit(w.table, w.key, CREATED, None, None)
            continue
        version, values = row
        if w.version <= version:
            continue  # the writer's version guard skips it too
        for column, value in w.values.items():
            if column in UNTRACKED:  # no history, but the row holds the new value
                values[column] = canonical(conv, column, value)
                continue
            new = canonical(conv, column, value)
            old = values.get(column, _MISSING)
            if old is _MISSING:  # created in this batch without it: the column's default
                before = default_text(w.table, column)
                if before != (after := as_text(w.table, column, new)):
                    emit(w.table, w.key, column, before, after)
            elif old != new and (before := as_text(w.table, column, old)) != (
                    after := as_text(w.table, column, new)):
                emit(w.table, w.key, column, before, after)
            values[column] = new
        state[slot] = (w.version, values)


@cache
def _actor_fields(event_type: type[Event]) -> tuple[str, ...]:
    # per class: a getattr of a field the model lacks costs pydantic an exception
    return tuple(name for name in ACTOR_FIELDS if name in event_type.model_fields)


def _stamp(event: Event) -> dict[str, Any]:
    """The columns every history row of `event` shares."""
    actor = event.actor or next((v for name in _actor_fields(type(event))
                                 if isinstance(v := event.__dict__[name], str) and v), None)
    return {"changed_at": utc_naive(event.occurred_at), "event_type": event.event_type,
            "aggregate_type": event.aggregate_type or None,
            "aggregate_id": event.aggregate_id, "command_id": event.causation_id,
            "actor": actor}


def _add(out: _Out, event: Event, stamp: dict[str, Any], table: str, record: str,
         column: str, old: str | None, new: str | None) -> None:
    slot = (event.event_id, table, record, column)
    first = out.get(slot)
    if first is not None:  # the same column twice in one event: first old, last new
        old = first[0]
    out[slot] = (old, new, stamp, event.aggregate_version)


def upserts(out: _Out) -> list[Upsert]:
    """The field_history rows of `out` (what `walk` found), as upserts."""
    return [Upsert(HISTORY_TABLE, (("event_id", event_id), ("table_name", table),
                                   ("record_id", record), ("column_name", column)),
                   {"old_value": old, "new_value": new, **stamp}, version)
            for (event_id, table, record, column), (old, new, stamp, version) in out.items()]


def stored_rows(cur: Any, table: str, keys: list[Any], columns: list[str] | None,
                ) -> dict[tuple[str, _Key], tuple[int, dict[str, Any]]]:
    """The stored version and `columns` (None: every column) of the rows with `keys`."""
    t, key_col = PROJECTED_TABLES[table], key_column(table)
    names = [c.name for c in t.columns if c.name not in (key_col, VERSION_COLUMN)]
    cols = names if columns is None else [c for c in columns
                                          if c in names and c not in UNTRACKED]
    select = ", ".join(f'"{c}"' for c in [key_col, VERSION_COLUMN, *cols])
    cur.execute(f'SELECT {select} FROM "{table}" WHERE "{key_col}" = ANY(%s)', (keys,))
    conv = converters(table)
    return {(table, ((key_col, r[0]),)): (r[1], {c: canonical(conv, c, v) for c, v in zip(
        cols, r[2:], strict=True)}) for r in cur.fetchall()}
