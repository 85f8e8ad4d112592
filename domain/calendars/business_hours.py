"""Business-hours calendars for case SLA clocks (Salesforce Business Hours and Holidays).

A priority's SLA hours count either around the clock (`"24x7"`) or only inside the
support desk's business hours (`"business"`): open weekdays, daily opening hours in a
fixed UTC offset (IST, +05:30, has no daylight saving) and holidays, all in `CaseRules`.
Deadlines are computed by adding business time; a stopped clock keeps the business time
that was left when it stopped. Pure and deterministic: no wall clock, no local zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from domain.rules_config import CaseRules

ALWAYS = "24x7"
BUSINESS = "business"
_SEARCH_DAYS = 3660  # a calendar without one open hour in ten years is a setup error


@dataclass(frozen=True)
class Calendar:
    """Business hours: open weekdays (0 = Monday), opening hours and holidays, local time."""

    zone: timezone
    opens: timedelta  # from local midnight
    closes: timedelta  # from local midnight (24 h: open until midnight)
    weekdays: frozenset[int]
    holidays: frozenset[str]  # "YYYY-MM-DD" (one day) or "MM-DD" (every year)

    def open_span(self, day: date) -> tuple[datetime, datetime] | None:
        """The open interval of a local day, or None on a closed day."""
        if (day.weekday() not in self.weekdays or day.isoformat() in self.holidays
                or day.isoformat()[5:] in self.holidays):
            return None
        midnight = datetime.combine(day, time(0), self.zone)
        return midnight + self.opens, midnight + self.closes


def calendar_for(rules: CaseRules, priority: str) -> Calendar | None:
    """The calendar a priority's SLA counts in; None when it counts around the clock."""
    name = rules.calendar_by_priority.get(priority, ALWAYS)
    if name == ALWAYS:
        return None
    if name != BUSINESS:
        raise ValueError(f"unknown SLA calendar {name!r} for priority {priority!r}")
    opens, closes = rules.business_hours
    return Calendar(timezone(timedelta(minutes=rules.business_utc_offset_minutes)),
                    timedelta(hours=opens), timedelta(hours=closes),
                    frozenset(rules.business_weekdays), frozenset(rules.holidays))


def add_business_time(calendar: Calendar | None, start: datetime,
                      duration: timedelta) -> datetime:
    """The moment `duration` of business time after `start` (UTC)."""
    if calendar is None or duration <= timedelta(0):
        return start + max(duration, timedelta(0))
    remaining = duration
    day = start.astimezone(calendar.zone).date()
    for _ in range(_SEARCH_DAYS):
        span = calendar.open_span(day)
        if span is not None:
            begin, end = max(span[0], start), span[1]
            if begin < end:
                if remaining <= end - begin:
                    return (begin + remaining).astimezone(UTC)
                remaining -= end - begin
        day += timedelta(days=1)
    raise ValueError("the SLA calendar has no business hours")


def business_time_between(calendar: Calendar | None, start: datetime,
                          end: datetime) -> timedelta:
    """Business time from `start` to `end` (zero when `end` is not later)."""
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        span = calendar.open_span(day)
        if span is not None:
            begin, finish = max(span[0], start), min(span[1], end)
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return total
