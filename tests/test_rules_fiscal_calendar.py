"""The fiscal calendar: years, quarters, period bounds and forecast call days, for the
default Indian financial year (April-March, named by its end year) and the variants the
rules allow (calendar fiscal year, a year named by its start)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain.calendars.fiscal import (
    Period,
    call_day,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_start,
    next_fiscal_year_start,
    period_bounds,
    period_quarter,
    periods_of,
    previous_period,
)
from domain.rules_config import FiscalRules

INDIA = FiscalRules()
CALENDAR = replace(INDIA, fiscal_year_start_month=1)
BY_START = replace(INDIA, year_named_by_end=False)


@pytest.mark.parametrize(("day", "fiscal", "year"), [
    (date(2026, 3, 31), INDIA, 2026), (date(2026, 4, 1), INDIA, 2027),
    (date(2026, 12, 31), INDIA, 2027),
    (date(2026, 1, 1), CALENDAR, 2026), (date(2026, 12, 31), CALENDAR, 2026),
    (date(2026, 3, 31), BY_START, 2025), (date(2026, 4, 1), BY_START, 2026),
])
def test_a_day_belongs_to_the_fiscal_year_named_by_the_rules(
        day: date, fiscal: FiscalRules, year: int) -> None:
    assert fiscal_year(day, fiscal) == year


@pytest.mark.parametrize(("day", "fiscal", "quarter"), [
    (date(2026, 4, 1), INDIA, 1), (date(2026, 6, 30), INDIA, 1), (date(2026, 7, 1), INDIA, 2),
    (date(2026, 12, 31), INDIA, 3), (date(2027, 1, 1), INDIA, 4), (date(2027, 3, 31), INDIA, 4),
    (date(2026, 3, 31), CALENDAR, 1), (date(2026, 4, 1), CALENDAR, 2),
])
def test_quarters_count_from_the_first_month_of_the_fiscal_year(
        day: date, fiscal: FiscalRules, quarter: int) -> None:
    assert fiscal_quarter(day, fiscal) == quarter


def test_the_fiscal_year_starts_on_the_first_of_its_first_month() -> None:
    assert fiscal_year_start(date(2026, 3, 31), INDIA) == date(2025, 4, 1)
    assert fiscal_year_start(date(2026, 4, 1), INDIA) == date(2026, 4, 1)
    assert fiscal_year_start(date(2026, 3, 31), CALENDAR) == date(2026, 1, 1)


def test_the_next_fiscal_year_starts_at_midnight_utc() -> None:
    moment = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    assert next_fiscal_year_start(moment, INDIA) == datetime(2026, 4, 1, tzinfo=UTC)
    assert next_fiscal_year_start(datetime(2026, 4, 1, tzinfo=UTC), INDIA) == datetime(
        2027, 4, 1, tzinfo=UTC)


def test_a_day_lies_in_its_month_and_quarter_labelled_with_the_fiscal_year() -> None:
    assert periods_of(date(2026, 5, 10), INDIA) == (("monthly", 2027, 5), ("quarterly", 2027, 1))
    assert periods_of(date(2027, 2, 1), INDIA) == (("monthly", 2027, 2), ("quarterly", 2027, 4))


@pytest.mark.parametrize(("period", "fiscal", "bounds"), [
    (("quarterly", 2027, 1), INDIA, (date(2026, 4, 1), date(2026, 7, 1))),
    (("quarterly", 2027, 3), INDIA, (date(2026, 10, 1), date(2027, 1, 1))),
    (("quarterly", 2027, 4), INDIA, (date(2027, 1, 1), date(2027, 4, 1))),
    (("monthly", 2027, 4), INDIA, (date(2026, 4, 1), date(2026, 5, 1))),
    (("monthly", 2027, 12), INDIA, (date(2026, 12, 1), date(2027, 1, 1))),
    (("monthly", 2027, 3), INDIA, (date(2027, 3, 1), date(2027, 4, 1))),
    (("quarterly", 2026, 2), CALENDAR, (date(2026, 4, 1), date(2026, 7, 1))),
    (("monthly", 2026, 1), CALENDAR, (date(2026, 1, 1), date(2026, 2, 1))),
    (("quarterly", 2026, 1), BY_START, (date(2026, 4, 1), date(2026, 7, 1))),
])
def test_a_period_runs_from_its_first_day_to_the_first_day_after_it(
        period: Period, fiscal: FiscalRules, bounds: tuple[date, date]) -> None:
    assert period_bounds(period, fiscal) == bounds


def test_a_months_quarter_is_the_fiscal_quarter_it_falls_in() -> None:
    assert period_quarter(("monthly", 2027, 1), INDIA) == 4
    assert period_quarter(("monthly", 2027, 4), INDIA) == 1
    assert period_quarter(("quarterly", 2027, 3), INDIA) == 3


@pytest.mark.parametrize(("period", "fiscal", "day"), [
    (("quarterly", 2027, 1), INDIA, date(2026, 4, 1)),  # a Wednesday
    (("monthly", 2027, 8), INDIA, date(2026, 8, 3)),  # 1 Aug is a Saturday
    (("monthly", 2026, 2), INDIA, date(2026, 2, 2)),  # 1 Feb is a Sunday
    (("monthly", 2027, 4), replace(INDIA, monthly_call_offset_days=3), date(2026, 4, 6)),
    (("quarterly", 2027, 1), replace(INDIA, monthly_call_offset_days=3), date(2026, 4, 1)),
    (("quarterly", 2027, 1), replace(INDIA, quarterly_call_offset_days=1), date(2026, 4, 2)),
    (("monthly", 2027, 4), replace(INDIA, quarterly_call_offset_days=1), date(2026, 4, 1)),
])
def test_the_forecast_is_called_on_the_first_business_day_at_or_after_the_offset(
        period: Period, fiscal: FiscalRules, day: date) -> None:
    assert call_day(period, fiscal) == day


@pytest.mark.parametrize(("period", "before"), [
    (("monthly", 2027, 4), ("monthly", 2026, 3)),
    (("monthly", 2027, 1), ("monthly", 2027, 12)),
    (("quarterly", 2027, 1), ("quarterly", 2026, 4)),
    (("quarterly", 2027, 3), ("quarterly", 2027, 2)),
])
def test_the_previous_period_is_the_same_kind_just_before(period: Period, before: Period) -> None:
    assert previous_period(period, INDIA) == before
