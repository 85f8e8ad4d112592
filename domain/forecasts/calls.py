"""Sales forecasts: each period's forecast is called once, frozen, and judged when it closes.

Periods are calendar months and fiscal quarters of the fiscal calendar
(domain.calendars.fiscal; default April-March). Per (period, rep):

- the CALL: on the first tick of the period's call day (first business day at or after
  period start + `FiscalRules.*_call_offset_days`; default: the period's first business
  day), `ForecastCalled` freezes what the rep's deals say: closed so far + every open deal
  closing in the period x its stage probability (Salesforce's expected revenue) + the
  run-rate (what the rep won in the previous period from deals created inside it: the
  business a pipeline-based call cannot see yet). That is the sales_forecasts row;
  later changes to the deals never touch the call (the baseline is never re-taken).
  A rep without deals in the period at the call, who closes one later, gets a row whose
  call is 0 (they called nothing). A period whose call day came before the history began,
  or less than `forecast_warmup_days` after it (default 0: the history starts mid-stream,
  its migrated deals keep their original creation dates), gets no row. A period begun
  before the history has its quota pro-rated to the days the history covers.
- ACTUALS: on every tick, the called rows of the current periods whose won business changed
  get `ForecastActualsUpdated` (actual revenue, attainment), so they are never stale.
- WEEKLY SNAPSHOTS: on the first tick of each ISO week (and of each month)
  `ForecastSnapshotTaken` records the live buckets (their own table).
- the CLOSE: on the first tick after the period, a final snapshot (`period_closed`) carries
  `forecast_accuracy_pct` = 100 - |actual - call| / call * 100 (floored at 0; NULL while
  the period is open or when the call was 0).

Amounts come from the view of domain.forecasts.index (per owner and calendar month); a
quarter sums its three months. Deals without an owner form a row with sales_rep_id NULL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.calendars.fiscal import (
    Period,
    call_day,
    period_bounds,
    period_quarter,
    periods_of,
    previous_period,
)
from domain.forecasts.index import (
    BUCKETS,
    DIRTY,
    QUOTAS,
    contribution,
    figures,
    months_of,
    reps_in,
    run_rate,
)
from domain.forecasts.messages import ForecastActualsUpdated, ForecastCalled, ForecastSnapshotTaken
from domain.kernel.context import Context, derive_id
from domain.kernel.messages import money
from domain.kernel.rulebook import evolves, on_tick
from domain.sales_org.org_chart import get_rep

__all__ = ["ForecastActualsUpdated", "ForecastCalled", "ForecastSnapshotTaken", "Period",
           "accuracy", "attainment", "contribution", "forecast_id", "quota_for"]

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


# ---------------------------------------------------------------------------- the tick

@on_tick
def forecast_tick(ctx: Context) -> None:
    """Daily: close ended periods, make due calls, weekly snapshots; always: fresh actuals."""
    clock: dict[str, date] = ctx.state.view(_CLOCK)
    today, last = ctx.now.date(), clock.get("last")
    if last != today:
        clock["last"] = today  # tick rules never raise, so this needs no rollback
        _new_day(ctx, today, last, clock.setdefault("first", today))
    _update_actuals(ctx, today)


def _new_day(ctx: Context, today: date, last: date | None, first: date) -> None:
    fiscal = ctx.rules.fiscal
    called: dict[Period, date] = ctx.state.view(_CALLED)
    current = periods_of(today, fiscal)
    if last is not None:
        for period in periods_of(last, fiscal):
            if period not in current and period in called:
                _snapshot_period(ctx, period, today, closing=True)
    for period in current:
        called_on = call_day(period, fiscal)
        if period not in called and called_on <= today \
                and (called_on - first).days >= fiscal.forecast_warmup_days:
            _call_period(ctx, period, today)
    if last is None or last.isocalendar()[:2] != today.isocalendar()[:2] \
            or last.month != today.month:
        for period in current:
            _snapshot_period(ctx, period, today, closing=False)


def _reps(ctx: Context, period: Period) -> list[str]:
    """Reps ('' = no owner) with deals in the period or open deals, or a called row."""
    reps = reps_in(ctx.state, period, ctx.rules.fiscal)
    return sorted(reps | set(ctx.state.view(_ROWS).get(period, {})))


def _quota(ctx: Context, period: Period, rep: str) -> Decimal | None:
    """The rep's quota for the period, pro-rated if the period began before the history."""
    quota = quota_for(period, ctx.state.view(QUOTAS).get(rep)) if rep else None
    start, end = period_bounds(period, ctx.rules.fiscal)
    first: date = ctx.state.view(_CLOCK)["first"]
    if quota is None or first <= start:
        return quota
    return money(quota * (end - first).days / (end - start).days)


def _call_period(ctx: Context, period: Period, today: date) -> None:
    fiscal = ctx.rules.fiscal
    ctx.state.view(_CALLED)[period] = today
    rows: dict[str, bool] = ctx.state.view(_ROWS).setdefault(period, {})
    before = previous_period(period, fiscal)
    for rep in _reps(ctx, period):
        _call(ctx, period, rep, figures(ctx.state, period, rep, fiscal), today,
              run_rate(ctx.state, before, rep, fiscal))
        rows[rep] = True


def _call(ctx: Context, period: Period, rep: str, row: dict[str, Decimal], day: date,
          rate: Decimal) -> None:
    kind, year, n = period
    sales_rep = get_rep(ctx.state, rep or None)
    ctx.emit(ForecastCalled, forecast_id(period, rep or None), forecast_period=kind,
             forecast_year=year, forecast_quarter=period_quarter(period, ctx.rules.fiscal),
             forecast_month=n if kind == "monthly" else None,
             territory_id=sales_rep.territory_id if sales_rep else None,
             sales_rep_id=rep or None, pipeline_amount=row["pipeline"],
             best_case_amount=row["best_case"], commit_amount=row["commit"],
             closed_amount=row["closed"], forecast_call=money(row["expected"] + rate),
             quota_amount=_quota(ctx, period, rep), call_date=day, run_rate_amount=rate)


def _ensure_row(ctx: Context, period: Period, rep: str) -> None:
    """Won business nobody called: the row exists from now on, its call was 0."""
    rows: dict[str, bool] = ctx.state.view(_ROWS)[period]
    if rep not in rows:
        zero = dict.fromkeys(BUCKETS, Decimal(0))
        _call(ctx, period, rep, zero, ctx.state.view(_CALLED)[period], Decimal(0))
        rows[rep] = True


def _update_actuals(ctx: Context, today: date) -> None:
    """Bring the called rows whose won business changed up to date (current periods)."""
    dirty: dict[tuple[str, tuple[int, int]], bool] = ctx.state.view(DIRTY)
    if not dirty:
        return
    changed = sorted(dirty)
    dirty.clear()
    fiscal = ctx.rules.fiscal
    for period in periods_of(today, fiscal):
        if period not in ctx.state.view(_CALLED):
            continue
        months = set(months_of(period, fiscal))
        for rep in sorted({rep for rep, month in changed if month in months}):
            _ensure_row(ctx, period, rep)
            closed = figures(ctx.state, period, rep, fiscal)["closed"]
            quota = _quota(ctx, period, rep)
            kind, year, n = period
            ctx.emit(ForecastActualsUpdated, forecast_id(period, rep or None),
                     forecast_period=kind, forecast_year=year,
                     forecast_quarter=period_quarter(period, fiscal),
                     forecast_month=n if kind == "monthly" else None, sales_rep_id=rep or None,
                     closed_amount=closed, actual_revenue=closed, quota_amount=quota,
                     quota_attainment_pct=attainment(closed, quota), as_of=today)


def _snapshot_period(ctx: Context, period: Period, today: date, closing: bool) -> None:
    called = period in ctx.state.view(_CALLED)
    for rep in _reps(ctx, period):
        row = figures(ctx.state, period, rep, ctx.rules.fiscal)
        if called and row["closed"] > 0:
            _ensure_row(ctx, period, rep)
        forecast: Forecast | None = ctx.get("forecast", forecast_id(period, rep or None))
        if closing and forecast is None:
            continue
        _emit_snapshot(ctx, period, rep, row, today, forecast, closing)


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
