"""Field history's values: as they are compared (as PostgreSQL would store them) and as
the history stores them (text: numbers at the column's scale, timestamps in UTC without a
zone, booleans `true`/`false`, JSON sorted), read from each column's type."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB

from projectors.tables import PROJECTED_TABLES


def canonical(conv: dict[str, Callable[[Any], Any]], column: str, value: Any) -> Any:
    """`value` in the form it is compared in (as PostgreSQL would store it)."""
    f = conv.get(column)
    if f is not None:
        return f(value)
    if type(value) is list or type(value) is tuple:  # JSON-array text (sales_team, ...)
        return json.dumps(list(value))
    return value


def utc_naive(value: datetime) -> datetime:
    """`value` in UTC, without a zone (as the read model stores timestamps)."""
    if value.tzinfo is UTC:
        return value.replace(tzinfo=None)
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _time(value: Any) -> Any:
    return utc_naive(value) if isinstance(value, datetime) else value


@cache
def converters(table: str) -> dict[str, Callable[[Any], Any]]:
    """The columns whose values need converting before a comparison, and how."""
    out: dict[str, Callable[[Any], Any]] = {}
    for c in PROJECTED_TABLES[table].columns:
        if isinstance(c.type, JSONB):
            out[c.name] = _json
        elif isinstance(c.type, DateTime):
            out[c.name] = _time
    return out


@cache
def _scale(table: str, column: str) -> int | None:
    kind = PROJECTED_TABLES[table].c[column].type
    return kind.scale if isinstance(kind, Numeric) and kind.scale is not None else None


def as_text(table: str, column: str, value: Any) -> str | None:
    """A value as field_history stores it (text, the column's scale for numbers)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int) and (scale := _scale(table, column)) is not None:
        return f"{Decimal(value):.{scale}f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@cache
def default_text(table: str, column: str) -> str | None:
    """The text of a column's server default (what a row created without it holds)."""
    default = PROJECTED_TABLES[table].c[column].server_default
    if default is None:
        return None
    literal = str(getattr(default, "arg", "")).strip()
    if literal.startswith("'") and literal.endswith("'"):
        return literal[1:-1].replace("''", "'")
    if literal in ("true", "false"):
        return literal
    try:
        return as_text(table, column, Decimal(literal))
    except ArithmeticError:
        return None
