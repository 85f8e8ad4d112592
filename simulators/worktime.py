"""Time in the simulated business: IST working hours, Indian holidays and seasonality.

People act in their working hours (India Standard Time): the sales office Monday to
Friday 09:00-19:00 and Saturday 09:30-14:00 (common in Indian manufacturing), the support
desk 07:00-23:00 every day, web forms at any time. Delays are working time (`after`): "in
two days" from a Friday afternoon is Monday or Tuesday, and nothing piles onto Monday.
Demand follows the year: a dip around Diwali and the year-end holidays, a push before the
fiscal year closes (31 March), fresh budgets in April, a slower monsoon, trade-show season
in January-February.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

IST = timezone(timedelta(hours=5, minutes=30), "IST")

# Lakshmi Puja (Diwali) and Holi; other years fall back to typical dates.
DIWALI = {2023: date(2023, 11, 12), 2024: date(2024, 11, 1), 2025: date(2025, 10, 20),
          2026: date(2026, 11, 8), 2027: date(2027, 10, 29), 2028: date(2028, 10, 17),
          2029: date(2029, 11, 5), 2030: date(2030, 10, 26)}
HOLI = {2024: date(2024, 3, 25), 2025: date(2025, 3, 14), 2026: date(2026, 3, 4),
        2027: date(2027, 3, 22), 2028: date(2028, 3, 11), 2029: date(2029, 3, 1),
        2030: date(2030, 3, 20)}
FIXED_HOLIDAYS = ((1, 26), (8, 15), (10, 2), (12, 25))  # Republic, Independence, Gandhi, Xmas

# Working windows per kind of actor: weekday -> (open, close) in IST; None = closed.
_OFFICE = {d: (time(9, 0), time(19, 0)) for d in range(5)} | {5: (time(9, 30), time(14, 0))}
_SUPPORT = {d: (time(7, 0), time(23, 0)) for d in range(7)}
# The ERP back office (order desk, master-data stewards): two shifts on weekdays, a
# half day on Saturday; it answers the CRM's requests in these hours (simulators.erp).
_ERP = {d: (time(8, 0), time(20, 0)) for d in range(5)} | {5: (time(8, 0), time(14, 0))}
WINDOWS: dict[str, dict[int, tuple[time, time]]] = {"office": _OFFICE, "support": _SUPPORT,
                                                    "erp": _ERP}
HOLIDAYS_OFF = ("office", "erp")  # the support desk is staffed on holidays


def diwali(year: int) -> date:
    """Diwali of `year` (a typical date for years not in the table)."""
    return DIWALI.get(year, date(year, 11, 1))


@lru_cache(maxsize=8192)  # asked for every delay a desk plans (the generator's profile)
def is_holiday(day: date) -> bool:
    """A national holiday or festival on which offices are closed."""
    if (day.month, day.day) in FIXED_HOLIDAYS:
        return True
    festival = diwali(day.year)
    return day in (festival, festival + timedelta(days=1)) or day == HOLI.get(day.year)


def local_day(at: datetime) -> date:
    """The IST calendar date of an instant."""
    return at.astimezone(IST).date()


def day_start(day: date) -> datetime:
    """00:00 IST of `day`, as an aware UTC datetime."""
    return datetime.combine(day, time(0), IST).astimezone(UTC)


def at_local(day: date, hour: float) -> datetime:
    """`day` at `hour` (fractional) IST, as UTC, whole seconds."""
    return day_start(day) + timedelta(seconds=round(hour * 3600))


def is_open(at: datetime, kind: str) -> bool:
    """Whether actors of `kind` are at work at this instant."""
    if kind == "any":
        return True
    local = at.astimezone(IST)
    window = WINDOWS[kind].get(local.weekday())
    if window is None or (kind in HOLIDAYS_OFF and is_holiday(local.date())):
        return False
    return window[0] <= local.time() < window[1]


@lru_cache(maxsize=8192)  # a day's hours never change; asked several times per delay
def window(day: date, kind: str) -> tuple[datetime, datetime] | None:
    """Opening and closing instants (UTC) of `kind`'s working hours on `day`; None when
    closed (Sundays for the office and the ERP back office, holidays)."""
    hours = WINDOWS[kind].get(day.weekday())
    if hours is None or (kind in HOLIDAYS_OFF and is_holiday(day)):
        return None
    return (datetime.combine(day, hours[0], IST).astimezone(UTC),
            datetime.combine(day, hours[1], IST).astimezone(UTC))


def _weekly_hours(kind: str) -> float:
    return sum((datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()
               for a, b in WINDOWS[kind].values()) / 3600


# Working hours per calendar hour: a week of elapsed time is a week of work (office 54.5
# of 168 hours, support 112 of 168).
RATE = {kind: _weekly_hours(kind) / 168 for kind in WINDOWS}


def after(at: datetime, hours: float, kind: str) -> datetime:
    """`hours` of elapsed time after `at`, counted on `kind`'s working clock.

    People say "in two days" and mean two working days: the delay is converted into
    working time (a calendar week is a working week, `RATE`) and laid over the working
    hours from `at` on (from `next_open(at)` when `at` is outside them). So work planned
    on a Friday afternoon lands on Monday and Tuesday in proportion, not on Sunday, and a
    weekend's worth of delays does not pile onto Monday morning.
    """
    if kind == "any":
        return at + timedelta(hours=hours)
    if not is_open(at, kind):
        at = next_open(at, kind, None)
    return _advance(at, timedelta(hours=max(0.0, hours) * RATE[kind]), kind)


def _advance(at: datetime, budget: timedelta, kind: str) -> datetime:
    """`budget` of working time after `at` (from the next opening when `at` is closed)."""
    day = local_day(at) - timedelta(days=1)  # (a support window can start the day before)
    for _ in range(4000):
        span = window(day, kind)
        day += timedelta(days=1)
        if span is None or span[1] <= at:
            continue
        start = max(span[0], at)
        if budget < span[1] - start:
            return start + budget
        budget -= span[1] - start
    return at + budget


def fit(at: datetime, minutes: int, kind: str = "office") -> datetime:
    """The start of a `minutes`-long meeting planned for about `at`: inside the working
    hours of its day and ending before they close (else early on the next working day)."""
    start = after(at, 0, kind)
    span = window(local_day(start), kind)
    if span is not None and start + timedelta(minutes=minutes) > span[1]:
        latest = span[1] - timedelta(minutes=minutes)
        start = latest if latest >= span[0] else after(span[1], 0, kind)
    return start


def last_open(at: datetime, kind: str) -> datetime:
    """The latest working instant of `kind` at or before `at` (`at` itself when open)."""
    if kind == "any" or is_open(at, kind):
        return at
    day = local_day(at)
    for _ in range(14):
        span = window(day, kind)
        if span is not None and span[0] < at:
            return min(at, span[1] - timedelta(minutes=1))
        day -= timedelta(days=1)
    return at


# Work that fell due while the office was closed is worked off over BACKLOG_SPREAD times
# the working time the gap is worth (a weekend's over Monday to Thursday, a night's over
# the next day and a bit), in the order it fell due, between the work of those days: with
# 3 the weekdays carry equal loads (2 leaves Tuesday and Wednesday 30 % heavier).
BACKLOG_SPREAD = 3.0


def next_open(at: datetime, kind: str, rng: random.Random | None,
              spread: float = BACKLOG_SPREAD) -> datetime:
    """`at` if actors of `kind` are at work then, else a time in the working hours after
    the gap: the gap's instants are laid over the working time that follows it in order
    (`spread` times the working time the gap is worth, BACKLOG_SPREAD by default), so a
    weekend's backlog is spread over the next days instead of being piled onto Monday
    morning. (`rng` is unused, kept for the callers' signature.)"""
    if kind == "any" or is_open(at, kind):
        return at
    day = local_day(at)
    for _ in range(14):  # the closing that began this gap
        span = window(day, kind)
        if span is not None and span[1] <= at:
            backlog = (at - span[1]) * (RATE[kind] * spread)
            return _advance(span[1], backlog, kind)
        day -= timedelta(days=1)
    return _advance(at, timedelta(0), kind)


def fiscal_quarter_end(day: date) -> date:
    """Last day of the calendar quarter holding `day` (India's fiscal quarters end alike)."""
    month = ((day.month - 1) // 3 + 1) * 3
    first_next = date(day.year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def demand_season(day: date) -> float:
    """Multiplier of inbound demand (leads) on `day`."""
    factor = 1.0
    if -4 <= (day - diwali(day.year)).days <= 3:
        factor *= 0.6
    if (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 1):
        factor *= 0.8
    factor *= {1: 1.05, 2: 1.05, 3: 1.1, 4: 1.08, 7: 0.93, 8: 0.93}.get(day.month, 1.0)
    return factor * (0.7 if is_holiday(day) else 1.0)


def weekday_factor(day: date) -> float:
    """Weekends bring fewer leads (web forms only) and fewer cases."""
    return (1.0, 1.0, 1.0, 1.0, 1.0, 0.72, 0.58)[day.weekday()]


def service_season(day: date) -> float:
    """Multiplier of support cases (plants run slower around Diwali, busier before March)."""
    factor = 0.8 if -3 <= (day - diwali(day.year)).days <= 3 else 1.0
    return factor * (1.06 if day.month == 3 else 1.0)


def office_share(day: date) -> float:
    """How much of a full office day `day` is: 1 on weekdays, 0.45 on Saturdays (4.5 of
    10 hours), 0 on Sundays and holidays; scales a per-office-day volume."""
    span = window(day, "office")
    return 0.0 if span is None else (span[1] - span[0]) / timedelta(hours=10)


def office_times(day: date, count: int, rng: random.Random) -> list[datetime]:
    """`count` random instants in the office hours of `day` (none when it is closed)."""
    window = _OFFICE.get(day.weekday())
    if window is None or is_holiday(day) or count <= 0:
        return []
    low = window[0].hour + window[0].minute / 60
    high = window[1].hour + window[1].minute / 60 - 0.25
    return sorted(at_local(day, rng.uniform(low, high)) for _ in range(count))
