"""SLA business-hours calendars: critical around the clock, the others in IST business hours
(Monday-Friday 09:00-18:00, +05:30) with holidays, when the rules say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from scenario import Scenario, of_type

from domain.calendars.business_hours import add_business_time, business_time_between, calendar_for
from domain.cases.messages import (
    CaseOpened,
    CaseSlaClockResumed,
    CustomerRepliedToCase,
    OpenCase,
    SetCasePendingCustomer,
)
from domain.rules_config import DEFAULT_RULES, BusinessRules

IST = timezone(timedelta(hours=5, minutes=30))
SUGGESTED = BusinessRules.from_mapping({"cases": {"calendar_by_priority": {
    "critical": "24x7", "high": "business", "medium": "business", "low": "business"}}})


def ist(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    """A moment in India Standard Time."""
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def opened(priority: str, when: datetime, rules: BusinessRules = SUGGESTED) -> CaseOpened:
    """The CaseOpened of a case opened at `when`."""
    w = Scenario(rules, start=when).account("A1").rep("SE1", "SE")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority=priority)
    event: CaseOpened = of_type(w.events, CaseOpened)[0]
    return event


def test_by_default_every_priority_counts_around_the_clock() -> None:
    assert set(DEFAULT_RULES.cases.calendar_by_priority.values()) == {"24x7"}
    case = opened("medium", ist(3, 6, 17), DEFAULT_RULES)  # a Friday evening
    assert case.response_due_date == ist(3, 7, 1)


def test_a_business_hours_case_opened_late_on_friday_is_due_on_monday() -> None:
    case = opened("medium", ist(3, 6, 17))  # 1 h on Friday, 7 h on Monday
    assert case.response_due_date == ist(3, 9, 16)
    assert case.response_due_date.tzinfo == UTC  # stored in UTC
    # 72 business hours: 1 h Friday, 45 h the next week, 18 h Mon-Tue, 8 h Wednesday
    assert case.resolution_due_date == ist(3, 18, 17)
    assert case.sla_response_hours == 8  # the table's hours, counted in business time


def test_critical_cases_count_around_the_clock_under_the_suggested_calendars() -> None:
    case = opened("critical", ist(3, 6, 17))
    assert (case.response_due_date, case.resolution_due_date) == (ist(3, 6, 18), ist(3, 7, 1))


def test_a_case_opened_on_a_weekend_starts_counting_on_monday_morning() -> None:
    assert opened("high", ist(3, 7, 11)).response_due_date == ist(3, 9, 13)  # 4 h


def test_holidays_do_not_count() -> None:
    # Thursday 1 October 17:00: 1 h, Gandhi Jayanti (Friday 2 October), the weekend, 7 h
    assert opened("medium", ist(10, 1, 17)).response_due_date == ist(10, 5, 16)
    rules = BusinessRules.from_mapping({"cases": {
        "calendar_by_priority": {"medium": "business"}, "holidays": ["2026-03-09"]}})
    assert opened("medium", ist(3, 6, 17), rules).response_due_date == ist(3, 10, 16)


def test_a_stopped_clock_keeps_the_business_time_left() -> None:
    w = Scenario(SUGGESTED, start=ist(3, 9, 9)).account("A1").rep("SE1", "SE")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="medium")
    assert of_type(w.events, CaseOpened)[0].resolution_due_date == ist(3, 18, 18)  # 8 days
    w.at(ist(3, 9, 17)).send(SetCasePendingCustomer, "C1")  # 8 h used, 64 h left
    replied = w.at(ist(3, 11, 10)).send(CustomerRepliedToCase, "C1")
    # Wed 8 h, Thu-Fri 18 h, Mon-Thu 36 h, Friday 2 h
    assert of_type(replied, CaseSlaClockResumed)[0].resolution_due_date == ist(3, 20, 11)


def test_a_wait_over_the_weekend_moves_the_deadline_by_the_business_hours_it_covered() -> None:
    w = Scenario(SUGGESTED, start=ist(3, 9, 9)).account("A1").rep("SE1", "SE")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="medium")
    w.at(ist(3, 13, 12)).send(SetCasePendingCustomer, "C1")  # Friday noon: 39 h used, 33 left
    replied = w.at(ist(3, 14, 10)).send(CustomerRepliedToCase, "C1")  # Saturday morning
    # Mon-Wed 27 h, Thursday 6 h (around the clock it would be 22 h later: Thursday 16:00)
    assert of_type(replied, CaseSlaClockResumed)[0].resolution_due_date == ist(3, 19, 15)


def test_priorities_missing_from_the_calendar_setting_count_around_the_clock() -> None:
    rules = BusinessRules.from_mapping({"cases": {"calendar_by_priority": {"medium": "business"}}})
    assert opened("low", ist(3, 6, 17), rules).response_due_date == ist(3, 7, 17)


def test_business_time_between_counts_only_open_hours() -> None:
    calendar = calendar_for(SUGGESTED.cases, "low")
    assert business_time_between(calendar, ist(3, 6, 17), ist(3, 9, 10)) == timedelta(hours=2)
    assert business_time_between(calendar, ist(3, 9, 10), ist(3, 6, 17)) == timedelta(0)
    assert business_time_between(None, ist(3, 6, 17), ist(3, 9, 10)) == timedelta(hours=65)
    assert business_time_between(None, ist(3, 9, 10), ist(3, 6, 17)) == timedelta(0)
    assert add_business_time(calendar, ist(3, 6, 20), timedelta(0)) == ist(3, 6, 20)
    due = add_business_time(calendar, ist(3, 6, 17), timedelta(hours=2))
    assert (due, due.tzinfo) == (ist(3, 9, 10), UTC)


def test_a_business_day_can_run_to_midnight() -> None:
    rules = BusinessRules.from_mapping({"cases": {
        "calendar_by_priority": {"low": "business"}, "business_hours": [0, 24]}})
    # Friday 23:00 IST: 1 h to midnight, the weekend, 23 h on Monday
    assert opened("low", ist(3, 6, 23), rules).response_due_date == ist(3, 9, 23)
    calendar = calendar_for(rules.cases, "low")  # Monday 00:00-03:00 IST is Sunday in UTC
    assert business_time_between(calendar, ist(3, 6, 23), ist(3, 9, 3)) == timedelta(hours=4)


def test_a_calendar_without_business_hours_or_an_unknown_one_is_a_setup_error() -> None:
    closed = BusinessRules.from_mapping({"cases": {
        "calendar_by_priority": {"low": "business"}, "business_weekdays": []}})
    with pytest.raises(ValueError, match="^the SLA calendar has no business hours$"):
        add_business_time(calendar_for(closed.cases, "low"), ist(3, 9, 9), timedelta(hours=1))
    odd = BusinessRules.from_mapping({"cases": {"calendar_by_priority": {"low": "9to5"}}})
    with pytest.raises(ValueError, match="unknown SLA calendar"):
        calendar_for(odd.cases, "low")
