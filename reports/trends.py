"""Pipeline and forecast trends (issue 19): the deals as of each week of a period.

`crm report pipeline-trend`: the open pipeline by stage (count, amount, weighted amount,
filtered as the seed's pipeline report filters) at the end of each week; `crm report
forecast-trend`: the amount by forecast category of the deals closing in one period (by
default the fiscal quarter containing the last week) at the end of each week, the chart
Salesforce draws from its field history. Both read the opportunities as of each moment
from `reports.asof`, so each week's figures are the ones the live table held then.

"The fiscal quarter" is the project's one fiscal calendar (`FiscalRules`, configured in
domain/rules_config.py: April to March by default), passed in by the caller from the
composition root (`Services.rules`, the rules the core runs with), so a trend's quarter
is the one the forecasts and quotas use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from domain.calendars.fiscal import period_bounds, periods_of
from domain.rules_config import FiscalRules
from reports.asof import build

WEEK = timedelta(days=7)

PIPELINE_COLUMNS = ["as_of", "stage", "opportunity_count", "total_amount",
                    "weighted_pipeline"]
_PIPELINE = """
SELECT stage, COUNT(*), SUM(amount), ROUND(SUM(amount * probability_pct / 100), 2)
FROM pg_temp.opportunities
WHERE is_active = true AND stage NOT IN ('closed_won', 'closed_lost')
GROUP BY stage
ORDER BY CASE stage WHEN 'prospecting' THEN 1 WHEN 'qualification' THEN 2
    WHEN 'needs_analysis' THEN 3 WHEN 'proposal' THEN 4 WHEN 'negotiation' THEN 5 END, stage
"""

FORECAST_COLUMNS = ["as_of", "forecast_category", "opportunity_count", "amount"]
_FORECAST = """
SELECT forecast_category, COUNT(*), SUM(amount)
FROM pg_temp.opportunities
WHERE is_active = true AND close_date >= :first AND close_date < :after
GROUP BY forecast_category
ORDER BY CASE forecast_category WHEN 'pipeline' THEN 1 WHEN 'best_case' THEN 2
    WHEN 'commit' THEN 3 WHEN 'closed' THEN 4 WHEN 'omitted' THEN 5 END, forecast_category
"""


def week_ends(first: date, last: date, every: timedelta = WEEK) -> list[date]:
    """`first`, then every `every` after it up to `last`; `last` itself ends the list
    (so the period's last day is always a point of the trend)."""
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    days = [first + every * n for n in range((last - first) // every + 1)]
    return days if days[-1] == last else [*days, last]


def fiscal_quarter_of(day: date, fiscal: FiscalRules) -> tuple[date, date]:
    """(first day, first day after) of the quarter of calendar `fiscal` containing `day`."""
    return period_bounds(periods_of(day, fiscal)[1], fiscal)


def _trend(engine: Engine, days: Sequence[date], query: str,
           params: dict[str, Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    with engine.connect() as conn:
        for day in days:
            build(conn, datetime.combine(day, time.max), ["opportunities"])
            out += [(day, *row) for row in conn.execute(text(query), params)]
        conn.rollback()  # the temporary tables go with the transaction's other work
        conn.exec_driver_sql("DISCARD TEMP")
        conn.commit()
    return out


def pipeline_trend(engine: Engine, days: Sequence[date]) -> list[tuple[Any, ...]]:
    """The open pipeline by stage at the end of each of `days` (PIPELINE_COLUMNS)."""
    return _trend(engine, days, _PIPELINE, {})


def forecast_trend(engine: Engine, days: Sequence[date],
                   closing: tuple[date, date]) -> list[tuple[Any, ...]]:
    """The amount by forecast category of the deals whose close date is in `closing`
    (first day, first day after), at the end of each of `days` (FORECAST_COLUMNS)."""
    return _trend(engine, days, _FORECAST, {"first": closing[0], "after": closing[1]})


def parse_days(first: str | None, last: str | None, every: str = "week",
               today: date | None = None, most: int | None = None) -> list[date]:
    """The points of a trend from the CLI's --from/--to/--every (YYYY-MM-DD; `week` or a
    number of days): `last` defaults to `today`, `first` to 12 weeks before `last`.
    `most`: refuse a trend of more points (the HTTP API's bound on one request's work)."""
    end = _date(last, "--to") or today or datetime.now(UTC).date()
    start = _date(first, "--from") or end - 12 * WEEK
    if every != "week" and not ((every.isascii() and every.isdigit()) and int(every) > 0):
        raise ValueError("--every must be week or a number of days")
    step = WEEK if every == "week" else timedelta(days=int(every))
    if most is not None and (end - start) // step + 1 > most:  # checked before the list
        raise ValueError(f"--from .. --to every {every} is more than {most} points")
    return week_ends(start, end, step)


def parse_closing(last_day: date, first: str | None, last: str | None, *,
                  fiscal: FiscalRules) -> tuple[date, date]:
    """The forecast's close-date period (first day, first day after) from the CLI's
    --closing-from/--closing-to (inclusive dates); by default the quarter of the fiscal
    calendar `fiscal` containing `last_day`."""
    quarter = fiscal_quarter_of(last_day, fiscal)
    hi = _date(last, "--closing-to")
    period = (_date(first, "--closing-from") or quarter[0],
              quarter[1] if hi is None else hi + timedelta(days=1))
    if period[1] <= period[0]:
        raise ValueError("--closing-to is before --closing-from")
    return period


def _date(value: str | None, option: str) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} must be YYYY-MM-DD") from None
