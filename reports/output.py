"""Query results as a rich table, CSV or JSON (`--format` of `crm report` / `crm sql`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console


class Format(StrEnum):
    """Output formats of the reports."""

    table = "table"
    csv = "csv"
    json = "json"


def write_rows(console: Console, columns: list[str], rows: Sequence[Sequence[Any]],
               fmt: Format = Format.table, title: str | None = None) -> None:
    """`rows` as a rich table (with `title`), CSV with a header, or a JSON list of objects
    (numbers as JSON numbers or strings exactly as PostgreSQL gave them, dates ISO)."""
    if fmt is Format.csv:
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(columns)
        out.writerows(["" if v is None else v for v in row] for row in rows)
        console.out(buf.getvalue(), end="", highlight=False)
    elif fmt is Format.json:
        objects = [dict(zip(columns, row, strict=True)) for row in rows]
        console.out(json.dumps(objects, default=str, indent=2), highlight=False)
    else:
        from reports.queries import print_rows  # (sqlalchemy: not at the CLI's start)

        print_rows(console, columns, rows, title=title)
