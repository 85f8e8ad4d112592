"""A whole log folded in memory, each final row written once by COPY (`crm rebuild`).

The live projector writes every batch into tables that already hold rows: it reads what
the batch touches (field history), stages the batch's rows and merges them in with
version-guarded upserts, so a row is written about 2.5 times over a history. A rebuild
starts from empty tables, so none of that is needed: `Fold` applies every event's writes
to its rows in memory, one event at a time, exactly as `projectors.history.walk` applies
them for the field history (a patch of a missing row changes nothing, a write whose
version is not newer is skipped, a delete removes a row not newer than itself), and the
rows it ends with are written by plain `COPY` into the empty tables (`copy_rows`), each
row once, its columns as given (a column never written gets its default, as an insert
without it would).

The history rows the walk finds are handed out as it goes (`take_history`), so they
never pile up in memory. The rows do, until they are written: a fold that must hold
fewer (the backfill's follower) writes them in parts (`flush`), and each later part
reads the stored rows its events touch before it applies them, so the walk sees every
row as one pass from empty tables would. Rows are held in the form the history compares them in
(`projectors.history_values.canonical`: timestamps in UTC without a zone, JSON as sorted
text, JSON arrays as their text), which is also what PostgreSQL stores.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from psycopg2.extras import execute_values
from sqlalchemy.dialects.postgresql import JSONB

from domain.kernel.messages import Event
from projectors import history
from projectors.copy_text import NotCopyable, formats
from projectors.projection import writes_by_event
from projectors.tables import PROJECTED_TABLES, key_column
from projectors.tables import VERSION_COLUMN as VERSION
from projectors.write_sql import quoted

COPY_BUFFER = 1 << 20  # bytes per write of COPY data (psycopg2 reads the text in these)
Row = tuple[tuple[tuple[str, Any], ...], dict[str, Any], int]
"""A row to write: its key (column, value pairs), its other values, its version."""
Submit = Callable[[Callable[[Any], Any]], Callable[[], Any]]
"""Queues a query (a function of a cursor) where the fold's writes go, in order with
them; a function that waits for its result (`projectors.statements.Writer.submit`)."""


@dataclass
class Staged:
    """Events ready to fold (`Fold.stage`): their writes, and the reads of the stored
    rows they touch, queued but perhaps not answered yet."""

    pairs: Sequence[tuple[Event, Sequence[Any]]]
    reads: list[Callable[[], Any]]


class Fold:
    """Rows of the read tables (and the field history's changes) of a replayed log."""

    def __init__(self, track_history: bool) -> None:
        """`track_history`: find the field history's rows (`CRM_FIELD_HISTORY`)."""
        self.state: history.State = {}
        self.events = 0
        self.parts = 0  # parts written before this one (`flush`)
        self.tables: set[str] = set()  # every table a write went to
        self._changes: history.Changes | None = {} if track_history else None
        self._stored: set[tuple[str, Any]] = set()  # rows of this part read from the tables

    def stage(self, events: Iterable[Event], submit: Submit | None = None) -> Staged:
        """`events`' writes and, after the first part, the reads of the stored rows they
        touch that this part has not seen, queued on `submit` (not awaited: a statement
        sent after them, a COPY, runs while `apply` waits for their answers). Nothing may
        be applied between `stage` and `apply`: the rows to read are those not held now."""
        pairs = writes_by_event(events)
        reads = self._read_stored(submit, pairs) if self.parts else []
        return Staged(pairs, reads)

    def apply(self, staged: Staged) -> None:
        """Apply staged events in order, once the stored rows they touch are held."""
        state, changes, tables = self.state, self._changes, self.tables
        for answer in staged.reads:
            found = answer()
            state.update(found)
            self._stored.update(found)
        for event, writes in staged.pairs:
            self.events += 1
            if writes:
                for w in writes:
                    tables.add(w.table)
                history.walk(event, writes, state, changes)

    def take_history(self) -> tuple[int, str]:
        """The field history rows found since the last call: how many, and their COPY
        text (columns `HISTORY_COLUMNS`)."""
        changes = self._changes
        if not changes:
            return 0, ""
        self._changes = {}
        return len(changes), history_text(changes)

    def rows(self) -> dict[str, list[Row]]:
        """The rows the log ends with, by table (deleted rows left out)."""
        out: dict[str, list[Row]] = {}
        for (table, key), row in self.state.items():
            if row is not None:
                out.setdefault(table, []).append((key, row[1], row[0]))
        return out

    def flush(self, send: Send) -> int:
        """Write this part's rows (`send`) and start the next part with none held: the
        first part's go into empty tables; a later part's replace the stored rows it read
        (deleted, then written again with the rest). How many rows the tables gained."""
        stored: dict[str, list[Any]] = {}
        for table, key in self._stored:
            stored.setdefault(table, []).append(key[0][1])
        for table, keys in sorted(stored.items()):
            sql = f"DELETE FROM {quoted(table)} WHERE {quoted(key_column(table))} = ANY(%s)"
            send(lambda cur, sql=sql, keys=keys: cur.execute(sql, (keys,)))
        gained = -len(self._stored)
        for table, rows in sorted(self.rows().items()):
            gained += copy_rows(send, table, rows)
        self.state, self._stored = {}, set()
        self.parts += 1
        return gained

    def _read_stored(self, submit: Submit | None, pairs: Sequence[tuple[Event, Sequence[Any]]]
                     ) -> list[Callable[[], Any]]:
        """Queue the reads of the stored rows (whole) that `pairs` write and this part has
        not seen; a row not stored is held as None (missing: as a deleted row, for
        `history.walk`) until its read says otherwise."""
        wanted: dict[str, list[Any]] = {}
        state = self.state
        for _, writes in pairs:
            for w in writes:
                if (slot := (w.table, w.key)) not in state:
                    state[slot] = None
                    wanted.setdefault(w.table, []).append(w.key[0][1])
        if not wanted:
            return []
        if submit is None:
            raise ValueError("a later part reads the stored rows it touches: pass `submit`")
        return [submit(lambda cur, table=table, keys=keys: history.stored_rows(
            cur, table, keys, None)) for table, keys in sorted(wanted.items())]


HISTORY_COLUMNS = ("table_name", "record_id", "column_name", "old_value", "new_value",
                   "event_id", "changed_at", "event_type", "aggregate_type", "aggregate_id",
                   "command_id", "actor", VERSION)
"""The field history's columns in the order `history_text` writes them: what differs per
row first, then what the rows of one event share."""
_NULL = "\\N"
_STAMP = ("changed_at", "event_type", "aggregate_type", "aggregate_id", "command_id", "actor")


def history_text(changes: history.Changes) -> str:
    """COPY text of field history rows (what `history.walk` found), built directly: the
    rows are many (about two per event) and all alike. Table and column names are ours
    (no escaping); the text an event's rows share is built once per event."""
    shared: dict[int, str] = {}
    lines = []
    for (event_id, table, record, column), (old, new, stamp, version) in changes.items():
        tail = shared.get(id(stamp))
        if tail is None:
            tail = shared[id(stamp)] = "\t".join(
                (_field(event_id), *(_NULL if (v := stamp[c]) is None else _field(v)
                                     for c in _STAMP), str(version)))
        lines.append(f"{table}\t{_field(record)}\t{column}\t"
                     f"{_NULL if old is None else _field(old)}\t"
                     f"{_NULL if new is None else _field(new)}\t{tail}")
    lines.append("")
    return "\n".join(lines)


def _field(value: Any) -> str:
    if type(value) is str:
        return value if value.isprintable() and "\\" not in value else value.translate(_ESCAPES)
    if type(value) is datetime:
        return value.isoformat()
    raise NotCopyable(repr(value))


Send = Callable[[Callable[[Any], None]], None]
"""Where a statement goes: called with a function of a cursor (projectors/replay.py runs
them in order on its writing thread, while the fold goes on)."""


def copy_text(send: Send, table: str, columns: Sequence[str], text: str) -> None:
    """COPY ready text into `table`'s `columns`."""
    if text:
        sql = f"COPY {quoted(table)} ({', '.join(map(quoted, columns))}) FROM STDIN"
        data = text.encode()
        send(lambda cur: cur.copy_expert(sql, io.BytesIO(data), size=COPY_BUFFER))


def copy_rows(send: Send, table: str, rows: Sequence[Row]) -> int:
    """Write `rows` into the empty `table` by COPY, one statement per column set (a
    group holding a value COPY text cannot carry goes as one multi-row INSERT)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row[1]), []).append(row)
    for columns, group in groups.items():
        key_cols = [k for k, _ in group[0][0]]
        all_cols = [*key_cols, *columns, VERSION]
        try:
            copy_text(send, table, all_cols, _copy_text(table, all_cols, group))
        except NotCopyable:
            sql = f"INSERT INTO {quoted(table)} ({', '.join(map(quoted, all_cols))}) VALUES %s"
            values = [[v for _, v in key] + list(values.values()) + [version]
                      for key, values, version in group]
            send(lambda cur, sql=sql, values=values: execute_values(cur, sql, values,
                                                                    page_size=2000))
    return len(rows)


def _copy_text(table: str, columns: list[str], group: Sequence[Row]) -> str:
    fmts = row_formats(table, tuple(columns))
    if fmts is None:
        raise NotCopyable(table)
    n_keys = len(group[0][0])
    key_fmts, value_fmts, version_fmt = fmts[:n_keys], fmts[n_keys:-1], fmts[-1]
    lines = []
    for key, values, version in group:
        fields = [fmt(v) for fmt, (_, v) in zip(key_fmts, key, strict=True)]
        fields += [r"\N" if v is None else fmt(v)
                   for fmt, v in zip(value_fmts, values.values(), strict=True)]
        fields.append(version_fmt(version))
        lines.append("\t".join(fields))
    lines.append("")
    return "\n".join(lines)


def _json_text(value: Any) -> str:
    if type(value) is str:  # the history's canonical JSON: already JSON text
        return value.translate(_ESCAPES)
    raise NotCopyable


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@cache
def row_formats(table: str, columns: tuple[str, ...]
                ) -> tuple[Callable[[Any], str], ...] | None:
    """COPY text formatters of `columns` for values in their canonical form."""
    base = formats(table, columns)
    json_columns = {c.name for c in PROJECTED_TABLES[table].columns
                    if isinstance(c.type, JSONB)}
    return None if base is None else tuple(
        _json_text if c in json_columns else f for c, f in zip(columns, base, strict=True))
