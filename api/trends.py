"""The pipeline and forecast trends over HTTP (issue 19).

`GET /v1/reports/pipeline-trend` and `GET /v1/reports/forecast-trend` answer what `crm
report pipeline-trend|forecast-trend --format json` prints, from the same functions
(reports/trends.py) with the CLI's options as query parameters. The router is included
before api/reads.py's, so `/v1/reports/{name}` never sees these two paths.

Like the reports' `as_of`, a trend builds temporary as-of tables, so it runs as the
server's own database user (the temporary tables need TEMP), never the analysts' role;
its queries are fixed, none comes from the request. A trend is one as-of build per
point: the number of points is bounded (MAX_POINTS) before the database is asked.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api.reads import Reader, plain
from reports import trends
from reports.asof import AsOfError

router = APIRouter(prefix="/v1/reports")
MAX_POINTS = 53  # a year of weekly points (an as-of build each; figures: docs/time-travel.md)
_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # ASCII digits: a regex's \d takes any script's
_OPTION = re.compile(r"--(from|to|every|closing-from|closing-to)\b")
_REFUSED = {409: {"description": "The as-of tables cannot be built (e.g. field history "
                                 "was off while the opportunities were written)"}}

From = Annotated[str | None, Query(
    alias="from", pattern=_DAY, description="The first point, YYYY-MM-DD "
    "(default: 12 weeks before `to`)", examples=["2026-01-05"])]
To = Annotated[str | None, Query(
    alias="to", pattern=_DAY, description="The last point, YYYY-MM-DD (default: today, UTC)",
    examples=["2026-03-31"])]
Every = Annotated[str, Query(
    pattern=r"^(week|[1-9][0-9]{0,3})$",
    description="`week`, or a number of days between points")]


class Trend(BaseModel):
    """A trend's rows, columns in order; the first column is the point (a day, as of
    its end)."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    closing_from: str | None = Field(
        default=None, description="forecast-trend: the first close date counted")
    closing_to: str | None = Field(
        default=None, description="forecast-trend: the last close date counted")


def _refused(exc: Exception) -> RequestValidationError:
    """A 422 in FastAPI's shape on the parameter the reason names (the CLI's option names
    become the parameters'; a reversed or out-of-range period is put on `to`)."""
    reason = str(exc)
    named = _OPTION.search(reason)
    param = named.group(1).replace("-", "_") if named else "to"
    reason = _OPTION.sub(lambda m: m.group(1).replace("-", "_"), reason)
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", param), "msg": reason, "input": None}])


def _points(first: str | None, last: str | None, every: str) -> list[date]:
    try:
        return trends.parse_days(first, last, every, most=MAX_POINTS)
    except (ValueError, OverflowError) as exc:  # OverflowError: 12 weeks before year 1
        raise _refused(exc) from None


def _table(name: str, columns: list[str], rows: list[tuple[Any, ...]],
           **extra: Any) -> Trend:
    return Trend(name=name, columns=columns, rows=[[plain(v) for v in r] for r in rows],
                 **extra)


@router.get("/pipeline-trend", response_model=Trend, tags=["reports"],
            responses=_REFUSED)
def pipeline_trend(request: Request, principal: Reader, first: From = None,
                   last: To = None, every: Every = "week") -> Trend:
    """The open pipeline by stage (count, amount, weighted amount) as of the end of each
    point of a period: `crm report pipeline-trend --format json`."""
    days = _points(first, last, every)
    try:
        rows = trends.pipeline_trend(request.app.state.engine, days)
    except AsOfError as exc:
        raise HTTPException(409, str(exc)) from None
    return _table("pipeline-trend", trends.PIPELINE_COLUMNS, rows)


@router.get("/forecast-trend", response_model=Trend, tags=["reports"],
            responses=_REFUSED)
def forecast_trend(
    request: Request, principal: Reader, first: From = None, last: To = None,
    every: Every = "week",
    closing_from: Annotated[str | None, Query(
        pattern=_DAY, description="Deals closing from this day (default: the first day "
        "of the fiscal quarter of `to`)")] = None,
    closing_to: Annotated[str | None, Query(
        pattern=_DAY, description="... up to this day, inclusive (default: the last day "
        "of that quarter)")] = None,
) -> Trend:
    """The amount by forecast category of the deals closing in one period, as of the end
    of each point: `crm report forecast-trend --format json`."""
    days = _points(first, last, every)
    try:
        period = trends.parse_closing(days[-1], closing_from, closing_to,
                                      fiscal=request.app.state.fiscal)
    except (ValueError, OverflowError) as exc:  # OverflowError: a quarter past year 9999
        raise _refused(exc) from None
    try:
        rows = trends.forecast_trend(request.app.state.engine, days, period)
    except AsOfError as exc:
        raise HTTPException(409, str(exc)) from None
    return _table("forecast-trend", trends.FORECAST_COLUMNS, rows,
                  closing_from=period[0].isoformat(),
                  closing_to=(period[1] - timedelta(days=1)).isoformat())
