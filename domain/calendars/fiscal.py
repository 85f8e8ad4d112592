"""The fiscal calendar: one definition of fiscal years and quarters for quotas, YTD and forecasts.

Configured by `FiscalRules` (domain/rules_config.py). Default: April to March, the Indian
financial year, named by the calendar year it ends in (FY2027 = 1 Apr 2026 - 31 Mar 2027),
Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar. With `fiscal_year_start_month=1`
the fiscal year is the calendar year. Pure date arithmetic: no clock is read here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.rules_config import FiscalRules

Period = tuple[str, int, int]  # ("monthly", fiscal year, calendar month) | ("quarterly", fy, q)


def _months_into_year(day: date, fiscal: FiscalRules) -> int:
    """0-11: how many whole months `day`'s month is after the fiscal year's first month."""
    return (day.month - fiscal.fiscal_year_start_month) % 12


def fiscal_year(day: date, fiscal: FiscalRules) -> int:
    """The fiscal year `day` belongs to (named by its end year or its start year)."""
    start_year = day.year if day.month >= fiscal.fiscal_year_start_month else day.year - 1
    ends_next_year = fiscal.fiscal_year_start_month != 1
    return start_year + 1 if fiscal.year_named_by_end and ends_next_year else start_year


def fiscal_quarter(day: date, fiscal: FiscalRules) -> int:
    """1-4: the fiscal quarter of `day` (Q1 starts with the fiscal year)."""
    return _months_into_year(day, fiscal) // 3 + 1


def fiscal_year_start(day: date, fiscal: FiscalRules) -> date:
    """The first day of the fiscal year containing `day`."""
    year = day.year if day.month >= fiscal.fiscal_year_start_month else day.year - 1
    return date(year, fiscal.fiscal_year_start_month, 1)


def next_fiscal_year_start(moment: datetime, fiscal: FiscalRules) -> datetime:
    """Midnight UTC of the first day of the fiscal year after the one containing `moment`."""
    start = fiscal_year_start(moment.date(), fiscal)
    return datetime(start.year + 1, start.month, 1, tzinfo=UTC)


def periods_of(day: date, fiscal: FiscalRules) -> tuple[Period, Period]:
    """The month and the fiscal quarter containing `day`, labelled with the fiscal year."""
    year = fiscal_year(day, fiscal)
    return ("monthly", year, day.month), ("quarterly", year, fiscal_quarter(day, fiscal))


def period_bounds(period: Period, fiscal: FiscalRules) -> tuple[date, date]:
    """(first day, first day after) of a period."""
    kind, year, n = period
    first_start_year = year - 1 if fiscal.year_named_by_end and \
        fiscal.fiscal_year_start_month != 1 else year
    if kind == "quarterly":
        months_in = (n - 1) * 3
        length = 3
    else:  # calendar month n of fiscal year `year`
        months_in = (n - fiscal.fiscal_year_start_month) % 12
        length = 1
    start = _add_months(date(first_start_year, fiscal.fiscal_year_start_month, 1), months_in)
    return start, _add_months(start, length)


def period_quarter(period: Period, fiscal: FiscalRules) -> int:
    """The fiscal quarter of a period (a month's quarter, or the quarter itself)."""
    kind, _, n = period
    return n if kind == "quarterly" else fiscal_quarter(period_bounds(period, fiscal)[0], fiscal)


def call_day(period: Period, fiscal: FiscalRules) -> date:
    """The day the period's forecast is called: first business day at or after the offset."""
    offset = fiscal.quarterly_call_offset_days if period[0] == "quarterly" \
        else fiscal.monthly_call_offset_days
    day = period_bounds(period, fiscal)[0] + timedelta(days=offset)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def _add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    return date(day.year + total // 12, total % 12 + 1, day.day)


def previous_period(period: Period, fiscal: FiscalRules) -> Period:
    """The period of the same kind just before `period`."""
    start = period_bounds(period, fiscal)[0]
    month, quarter = periods_of(start - timedelta(days=1), fiscal)
    return month if period[0] == "monthly" else quarter
