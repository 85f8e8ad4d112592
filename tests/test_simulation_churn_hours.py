"""Soured customers complain in office hours and the weekly churn review meets on a
working day (issue 14, point 5: people work business hours, holidays observed)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from simulators.churn import AccountChurn
from simulators.worktime import IST, at_local, is_holiday, is_open, local_day


class FakeChurn(AccountChurn):
    """Just enough of the account desk to see what the churn planning schedules."""

    def __init__(self) -> None:
        rng = random.Random(3)
        self.k: Any = SimpleNamespace(rng=rng, count=lambda mean: 3,
                                      chance=lambda p: rng.random() < p)
        customers = [f"ACC-{n}" for n in range(2000)]
        self.book: Any = SimpleNamespace(customers=customers, accounts={
            a: SimpleNamespace(tier="standard") for a in customers})
        self.signals = {}
        self.planned: list[tuple[datetime, str]] = []

    def at(self, due: datetime, method: str, *args: object) -> None:
        """Record the planned action."""
        self.planned.append((due, method))


def plan_weeks(first: date, weeks: int) -> FakeChurn:
    """Plan churn on every day but Sunday, as the account desk does."""
    desk = FakeChurn()
    for n in range(weeks * 7):
        day = first + timedelta(days=n)
        if day.weekday() < 6:
            desk.plan_churn(day)
    return desk


def test_soured_customers_complain_only_while_the_office_is_open() -> None:
    desk = plan_weeks(date(2026, 9, 28), 6)  # Gandhi Jayanti: Friday 2 Oct 2026
    complaints = [when for when, method in desk.planned if method == "complain"]
    soured = [s for s in desk.signals.values() if s.souring is not None]
    assert len(complaints) == len(soured) > 90  # one first complaint each (3 a day drawn)
    assert all(is_open(when, "office") for when in complaints)
    saturday = [w.astimezone(IST) for w in complaints if local_day(w).weekday() == 5]
    assert saturday and max(w.hour for w in saturday) < 14  # the office closes at 14:00
    assert not [w for w in complaints if is_holiday(local_day(w))]


def test_a_relationship_souring_on_a_holiday_complains_on_the_next_working_day() -> None:
    desk = FakeChurn()
    desk.plan_churn(date(2026, 10, 2))  # Gandhi Jayanti, a Friday
    days = {local_day(when) for when, method in desk.planned if method == "complain"}
    assert days == {date(2026, 10, 3)}  # the Saturday half day
    assert {s.souring[0] for s in desk.signals.values() if s.souring} == {date(2026, 10, 2)}


def test_the_monday_churn_review_moves_to_tuesday_when_monday_is_a_holiday() -> None:
    desk = plan_weeks(date(2026, 1, 19), 2)  # Monday 26 Jan 2026 is Republic Day
    reviews = [when for when, method in desk.planned if method == "churn_review"]
    assert reviews == [at_local(date(2026, 1, 19), 10), at_local(date(2026, 1, 27), 10)]
