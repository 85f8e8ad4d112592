"""Time in the simulated business: IST working hours, Indian holidays and seasonality.

People act in their working hours (India Standard Time): the sales office Monday to
Friday 09:00-19:00 and Saturday 09:30-14:00 (common in Indian manufacturing), the support
desk 07:00-23:00 every day, web forms at any time. Demand follows the year: a dip around
Diwali and the year-end holidays, a push before the fiscal year closes (31 March), fresh
budgets in April, a slower monsoon, trade-show season in January-February.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone

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
WINDOWS: dict[str, dict[int, tuple[time, time]]] = {"office": _OFFICE, "support": _SUPPORT}


def diwali(year: int) -> date:
    """Diwali of `year` (a typical date for years not in the table)."""
    return DIWALI.get(year, date(year, 11, 1))


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
    if window is None or (kind == "office" and is_holiday(local.date())):
        return False
    return window[0] <= local.time() < window[1]


def next_open(at: datetime, kind: str, rng: random.Random) -> datetime:
    """`at` if actors of `kind` are at work then, else some time in their next working day
    (earlier hours more likely)."""
    if kind == "any" or is_open(at, kind):
        return at
    local = at.astimezone(IST)
    day = local.date()
    for _ in range(14):
        window = WINDOWS[kind].get(day.weekday())
        if window is not None and not (kind == "office" and is_holiday(day)):
            opening = datetime.combine(day, window[0], IST)
            if local < opening:  # the backlog is worked through the day, mornings first
                closing = datetime.combine(day, window[1], IST)
                span = (closing - opening).total_seconds() * 0.9
                jitter = timedelta(seconds=round(rng.triangular(0, span, 0)))
                return (opening + jitter).astimezone(UTC)
        day += timedelta(days=1)
    return at


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


def office_times(day: date, count: int, rng: random.Random) -> list[datetime]:
    """`count` random instants in the office hours of `day` (none when it is closed)."""
    window = _OFFICE.get(day.weekday())
    if window is None or is_holiday(day) or count <= 0:
        return []
    low = window[0].hour + window[0].minute / 60
    high = window[1].hour + window[1].minute / 60 - 0.25
    return sorted(at_local(day, rng.uniform(low, high)) for _ in range(count))
