"""Sales forecasts: each period's forecast is called once, frozen, and judged when it closes.

Periods are calendar months and fiscal quarters of the fiscal calendar
(domain.fiscal_calendar; default April-March). Per (period, rep):

- the CALL: on the first tick of the period's call day (first business day at or after
  period start + `FiscalRules.*_call_offset_days`; default: the period's first business
  day), `ForecastCalled` freezes what the rep's deals say: closed so far + every open deal
  closing in the period x its stage probability (Salesforce's expected revenue). That is
  the sales_forecasts row;
  later changes to the deals never touch the call (the baseline is never re-taken).
  A rep without deals in the period at the call, who closes one later, gets a row whose
  call is 0 (they called nothing). A period whose call day came before the history began,
  or less than `forecast_warmup_days` after it, gets no row: the deals opened before the
  history are missing from its pipeline. A period begun before the history (only with a
  warm-up shorter than a period) has its quota pro-rated to the days the history covers.
- WEEKLY SNAPSHOTS: on the first tick of each ISO week (and of each month)
  `ForecastSnapshotTaken` records the live buckets (their own table); for called rows they
  also bring actual revenue and attainment up to date.
- the CLOSE: on the first tick after the period, a final snapshot (`period_closed`) carries
  `forecast_accuracy_pct` = 100 - |actual - call| / call * 100 (floored at 0; NULL while
  the period is open or when the call was 0).

Amounts come from a view kept by @indexes on opportunity events: each deal contributes to
one calendar month of its owner (open deals by forecast category at their close_date, won
deals as 'closed' at their actual_close_date, lost deals nothing); a quarter sums its
three months. Deals without an owner form a row with sales_rep_id NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.core import Context, derive_id, evolves, indexes, on_tick
from domain.fiscal_calendar import Period, call_day, period_bounds, period_quarter, periods_of
from domain.forecast_messages import ForecastCalled, ForecastSnapshotTaken
from domain.messages import money
from domain.opportunities import (
    Opportunity,
    OpportunityCreated,
    OpportunityProductAdded,
    OpportunityTermsChanged,
)
from domain.opportunity_stages import OpportunityLost, OpportunityStageChanged, OpportunityWon
from domain.sales_org import RepQuotaSet, SalesRepHired, get_rep
from domain.state import CrmState

__all__ = ["ForecastCalled", "ForecastSnapshotTaken", "Period", "accuracy", "attainment",
           "contribution", "forecast_id", "quota_for"]

Month = tuple[int, int]  # calendar (year, month)
BUCKETS = ("pipeline", "best_case", "commit", "closed", "expected")
_CONTRIB = "forecast_contributions"  # opp id -> (rep, month, bucket, amount, expected, open)
_SUMS = "forecast_sums"  # (rep, month) -> {bucket: amount}
_OPEN = "forecast_open_deals"  # rep -> number of open deals
_QUOTAS = "forecast_quotas"  # rep -> (annual, quarterly)
_CLOCK = "forecast_clock"  # {"first": first day seen, "last": day of the last tick}
_ROWS = "forecast_rows"  # period -> {rep: True}: reps whose row has been called
_CALLED = "forecast_call_days"  # period -> the day its forecast was called
PCT_MAX = Decimal("999.99")  # quota_attainment_pct is dec(5,2)


@dataclass(frozen=True)
class Forecast:
    """A called forecast: the frozen call and the day it was made."""

    forecast_id: str
    call: Decimal
    call_date: date


def contribution(opp: Opportunity) -> tuple[str, date] | None:
    """(bucket, date) an opportunity counts in, or None (lost deals count nowhere)."""
    if opp.stage == "closed_won":
        return "closed", opp.actual_close_date or opp.close_date
    if opp.stage == "closed_lost":
        return None
    return opp.forecast_category, opp.close_date


def forecast_id(period: Period, rep: str | None) -> str:
    """Deterministic per (period, rep): every event of the period's row has this id."""
    kind, year, n = period
    fid = f"FC-{kind[0].upper()}{year}-{n:02d}-{rep or 'UNASSIGNED'}"
    return fid if len(fid) <= 50 else f"FC-{derive_id('forecast', fid)[:30]}"


def accuracy(actual: Decimal, call: Decimal) -> Decimal | None:
    """How close the actual revenue came to the call, 0-100 (None for a call of 0)."""
    if call <= 0:
        return None
    return money(max(Decimal(0), 100 - abs(actual - call) * 100 / call))


def attainment(actual: Decimal, quota: Decimal | None) -> Decimal | None:
    """actual / quota * 100, capped at 999.99 (the column is dec(5,2)); None without quota."""
    return min(PCT_MAX, money(actual * 100 / quota)) if quota else None


def quota_for(period: Period, quotas: tuple[Decimal | None, Decimal | None] | None
              ) -> Decimal | None:
    """Quarterly rows: quarterly_quota (else annual / 4); monthly: annual / 12 (else q / 3)."""
    annual, quarterly = quotas or (None, None)
    if period[0] == "quarterly":
        return quarterly if quarterly is not None else _part(annual, 4)
    return _part(annual, 12) if annual is not None else _part(quarterly, 3)


def _part(value: Decimal | None, n: int) -> Decimal | None:
    return None if value is None else money(value / n)


# ---------------------------------------------------------------------------- indexes

@indexes(OpportunityCreated, OpportunityProductAdded, OpportunityTermsChanged,
         OpportunityStageChanged, OpportunityWon, OpportunityLost)
def _track_opportunity(state: CrmState, e: Any) -> None:
    opp: Opportunity = state.get("opportunity", e.aggregate_id)
    contrib: dict[str, Any] = state.view(_CONTRIB)
    sums: dict[tuple[str, Month], dict[str, Decimal]] = state.view(_SUMS)
    open_deals: dict[str, int] = state.view(_OPEN)
    rep = opp.owner or ""
    old = contrib.pop(opp.opportunity_id, None)
    if old is not None:
        old_rep, month, bucket, amount, expected, was_open = old
        sums[(old_rep, month)][bucket] -= amount
        sums[(old_rep, month)]["expected"] -= expected
        open_deals[old_rep] -= 1 if was_open else 0
    found = contribution(opp)
    if found is not None:
        bucket, day = found
        expected = opp.amount if bucket == "closed" else opp.amount * opp.probability / 100
        row = sums.setdefault((rep, (day.year, day.month)), dict.fromkeys(BUCKETS, Decimal(0)))
        row[bucket] += opp.amount
        row["expected"] += expected
        contrib[opp.opportunity_id] = (rep, (day.year, day.month), bucket, opp.amount,
                                       expected, not opp.is_closed)
    if not opp.is_closed:
        open_deals[rep] = open_deals.get(rep, 0) + 1


@indexes(SalesRepHired, RepQuotaSet)
def _track_quota(state: CrmState, e: SalesRepHired | RepQuotaSet) -> None:
    state.view(_QUOTAS)[e.aggregate_id] = (e.annual_quota, e.quarterly_quota)


# ---------------------------------------------------------------------------- the tick

@on_tick
def forecast_tick(ctx: Context) -> None:
    """First tick of a day: close ended periods, make due calls, take weekly snapshots."""
    clock: dict[str, date] = ctx.state.view(_CLOCK)
    today, last = ctx.now.date(), clock.get("last")
    if last == today:
        return
    clock["last"] = today  # tick rules never raise, so this needs no rollback
    first = clock.setdefault("first", today)
    fiscal = ctx.rules.fiscal
    current = periods_of(today, fiscal)
    if last is not None:
        for period in periods_of(last, fiscal):
            if period not in current and period in ctx.state.view(_CALLED):
                _snapshot_period(ctx, period, today, closing=True)
    for period in current:
        called_on = call_day(period, fiscal)
        if period not in ctx.state.view(_CALLED) and called_on <= today \
                and (called_on - first).days >= fiscal.forecast_warmup_days:
            _call_period(ctx, period, today)
    weekly = last is None or last.isocalendar()[:2] != today.isocalendar()[:2] \
        or last.month != today.month
    if weekly:
        for period in current:
            _snapshot_period(ctx, period, today, closing=False)


def _figures(state: CrmState, period: Period, rep: str, ctx: Context) -> dict[str, Decimal]:
    start, end = period_bounds(period, ctx.rules.fiscal)
    out = dict.fromkeys(BUCKETS, Decimal(0))
    year, month = start.year, start.month
    while (year, month) < (end.year, end.month):
        for bucket, amount in state.view(_SUMS).get((rep, (year, month)), {}).items():
            out[bucket] += amount
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return out


def _reps(ctx: Context, period: Period) -> list[str]:
    """Reps ('' = no owner) with deals in the period or open deals, or a called row."""
    fiscal = ctx.rules.fiscal
    start, end = period_bounds(period, fiscal)
    reps = {rep for rep, (y, m) in ctx.state.view(_SUMS) if start <= date(y, m, 1) < end}
    reps |= {rep for rep, n in ctx.state.view(_OPEN).items() if n > 0}
    reps |= set(ctx.state.view(_ROWS).get(period, {}))
    return sorted(reps)


def _quota(ctx: Context, period: Period, rep: str) -> Decimal | None:
    """The rep's quota for the period, pro-rated if the period began before the history."""
    quota = quota_for(period, ctx.state.view(_QUOTAS).get(rep)) if rep else None
    start, end = period_bounds(period, ctx.rules.fiscal)
    first: date = ctx.state.view(_CLOCK)["first"]
    if quota is None or first <= start:
        return quota
    return money(quota * (end - first).days / (end - start).days)


def _call_period(ctx: Context, period: Period, today: date) -> None:
    ctx.state.view(_CALLED)[period] = today
    rows: dict[str, bool] = ctx.state.view(_ROWS).setdefault(period, {})
    for rep in _reps(ctx, period):
        _call(ctx, period, rep, _figures(ctx.state, period, rep, ctx), today)
        rows[rep] = True


def _call(ctx: Context, period: Period, rep: str, row: dict[str, Decimal], day: date) -> None:
    kind, year, n = period
    sales_rep = get_rep(ctx.state, rep or None)
    ctx.emit(ForecastCalled, forecast_id(period, rep or None), forecast_period=kind,
             forecast_year=year, forecast_quarter=period_quarter(period, ctx.rules.fiscal),
             forecast_month=n if kind == "monthly" else None,
             territory_id=sales_rep.territory_id if sales_rep else None,
             sales_rep_id=rep or None, pipeline_amount=row["pipeline"],
             best_case_amount=row["best_case"], commit_amount=row["commit"],
             closed_amount=row["closed"], forecast_call=money(row["expected"]),
             quota_amount=_quota(ctx, period, rep), call_date=day)


def _snapshot_period(ctx: Context, period: Period, today: date, closing: bool) -> None:
    rows: dict[str, bool] | None = ctx.state.view(_ROWS).get(period)
    for rep in _reps(ctx, period):
        row = _figures(ctx.state, period, rep, ctx)
        fid = forecast_id(period, rep or None)
        if rows is not None and rep not in rows and row["closed"] > 0:
            # Won business nobody called: the row exists from now on, its call was 0.
            zero = dict.fromkeys(BUCKETS, Decimal(0))
            _call(ctx, period, rep, zero, ctx.state.view(_CALLED)[period])
            rows[rep] = True
        if closing and (rows is None or rep not in rows):
            continue
        _emit_snapshot(ctx, period, rep, row, today, ctx.get("forecast", fid), closing)


def _emit_snapshot(ctx: Context, period: Period, rep: str, row: dict[str, Decimal],
                   today: date, called: Forecast | None, closing: bool) -> None:
    kind, year, n = period
    closed = row["closed"]
    quota = _quota(ctx, period, rep)
    sales_rep = get_rep(ctx.state, rep or None)
    ctx.emit(
        ForecastSnapshotTaken, forecast_id(period, rep or None), forecast_period=kind,
        forecast_year=year, forecast_quarter=period_quarter(period, ctx.rules.fiscal),
        forecast_month=n if kind == "monthly" else None,
        territory_id=sales_rep.territory_id if sales_rep else None, sales_rep_id=rep or None,
        pipeline_amount=row["pipeline"], best_case_amount=row["best_case"],
        commit_amount=row["commit"], closed_amount=closed,
        total_forecast=row["pipeline"] + row["best_case"] + row["commit"] + closed,
        quota_amount=quota, quota_attainment_pct=attainment(closed, quota),
        actual_revenue=closed, snapshot_date=today, expected_amount=money(row["expected"]),
        forecast_call=called.call if called else None, period_closed=closing,
        forecast_accuracy_pct=accuracy(closed, called.call) if closing and called else None,
    )


@evolves(ForecastCalled)
def _called(_: Forecast | None, e: ForecastCalled) -> Forecast:
    return Forecast(e.aggregate_id, e.forecast_call, e.call_date)

# ForecastSnapshotTaken has no evolver on purpose: a snapshot never re-takes the call.
