"""COPY text of the rows a batch writes: each value formatted as PostgreSQL's text format
reads it, or refused (`NotCopyable`) when that text could differ from what the driver would
bind, in which case the writer sends that group as bound values instead."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from projectors.projection import Upsert
from projectors.write_sql import column_positions, column_types, row_values


class NotCopyable(Exception):
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
    raise NotCopyable


def _as_int(v: Any) -> str:
    if type(v) is int:
        return str(v)
    raise NotCopyable


def _as_numeric(v: Any) -> str:
    if type(v) is Decimal or type(v) is int:
        return str(v)
    raise NotCopyable


def _as_bool(v: Any) -> str:
    if type(v) is bool:
        return "t" if v else "f"
    raise NotCopyable


def _as_date(v: Any) -> str:
    if type(v) is date:
        return v.isoformat()
    raise NotCopyable


def _as_timestamp(v: Any) -> str:
    if type(v) is datetime:
        if v.tzinfo is UTC:  # every decoded timestamp: drop "+00:00" instead of replace()
            return v.isoformat()[:-6]
        if v.tzinfo is not None:
            if v.utcoffset():
                v = v.astimezone(UTC)
            v = v.replace(tzinfo=None)
        return v.isoformat()
    raise NotCopyable


def _as_json(v: Any) -> str:
    return _text(json.dumps(v))


_FORMATS: dict[str, Callable[[Any], str]] = {
    "VARCHAR": _as_str, "TEXT": _as_str, "INTEGER": _as_int, "BIGINT": _as_int,
    "NUMERIC": _as_numeric, "BOOLEAN": _as_bool, "DATE": _as_date,
    "TIMESTAMP WITHOUT TIME ZONE": _as_timestamp, "JSONB": _as_json,
}


@cache
def formats(table: str, columns: tuple[str, ...]) -> tuple[Callable[[Any], str], ...] | None:
    """COPY text formatters for `columns`, or None when a column type has none."""
    types = column_types(table)
    out = []
    for c in columns:
        fmt = _FORMATS.get(types[c].split("(")[0])
        if fmt is None:
            return None
        out.append(fmt)
    return tuple(out)


def copy_lines(table: str, n: int, key_cols: list[str], all_cols: list[str],
                group: Sequence[Upsert]) -> list[str]:
    """COPY text lines of one group: every staging column, `_grp` = n last."""
    fmts = formats(table, tuple(all_cols))
    if fmts is None:
        raise NotCopyable(table)
    position = column_positions(table)
    slots = [position[c] for c in all_cols]
    empty = ["\\N"] * len(position) + [str(n)]
    n_keys = len(key_cols)
    lines = []
    for u in group:
        fields = list(empty)
        for slot, fmt, value in zip(slots, fmts, row_values(u, all_cols, n_keys),
                                    strict=True):
            if value is not None:
                fields[slot] = fmt(value)
        lines.append("\t".join(fields))
    return lines
