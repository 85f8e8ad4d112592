"""Sales forecasts: weekly snapshots per rep for the current month and quarter.

Cheap on every tick: the tick rule only compares dates until a tick crosses into a new
ISO week or month. The amounts come from a view kept current by @indexes on opportunity
events: each opportunity contributes its amount to one bucket of its owner's month and
quarter (open deals by forecast category at their close_date; won deals as 'closed' at
their actual_close_date; lost deals nothing), so a snapshot reads sums, never scans deals.

One row per (period, rep): rep rows carry the rep's territory_id, so a territory's
forecast is `GROUP BY territory_id`, and SUM over the rows of one period (the seed's
forecast-accuracy query) counts every deal exactly once. Deals without an owner form a
row with sales_rep_id NULL. When a tick enters a new month (or quarter), the period just
ended gets a final snapshot first, so closed periods agree with the opportunities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from domain.core import Context, derive_id, evolves, indexes, on_tick
from domain.messages import BigMoney, Date, Doc, Event, Opt, Percent, money
from domain.opportunities import (
    Opportunity,
    OpportunityCreated,
    OpportunityProductAdded,
    OpportunityTermsChanged,
)
from domain.opportunity_stages import OpportunityLost, OpportunityStageChanged, OpportunityWon
from domain.sales_org import RepQuotaSet, SalesRepHired, get_rep
from domain.state import CrmState

Period = tuple[str, int, int]  # ("monthly", 2026, 3) or ("quarterly", 2026, 1)
BUCKETS = ("pipeline", "best_case", "commit", "closed")
_CONTRIB = "forecast_contributions"  # opp id -> (rep, (month, quarter), bucket, amount)
_SUMS = "forecast_sums"  # (rep, period) -> {bucket: amount}
_OPEN = "forecast_open_deals"  # rep -> number of open deals
_QUOTAS = "forecast_quotas"  # rep -> (annual, quarterly)
_CLOCK = "forecast_clock"  # {"last": date of the last tick seen}
PCT_MAX = Decimal("999.99")


class ForecastSnapshotTaken(Event):
    """The forecast of one rep for one period as of snapshot_date (absolute figures)."""

    AGGREGATE = "forecast"

    forecast_period: Literal["monthly", "quarterly", "yearly"]
    forecast_year: int
    forecast_quarter: int | None = Opt(description="1-4")
    forecast_month: int | None = Opt(description="1-12 (monthly rows)")
    territory_id: str | None = Opt(50, "The rep's territory at snapshot time")
    sales_rep_id: str | None = Opt(50, "None: deals without an owner")
    pipeline_amount: BigMoney = Doc("Open deals, probability 0-25 %")
    best_case_amount: BigMoney = Doc("Open deals, probability 26-75 %")
    commit_amount: BigMoney = Doc("Open deals, probability 76-99 %")
    closed_amount: BigMoney = Doc("Won deals closed in the period")
    total_forecast: BigMoney = Doc("pipeline + best_case + commit + closed")
    quota_amount: BigMoney | None = Opt()
    quota_attainment_pct: Percent | None = Opt(description="closed / quota * 100, max 999.99")
    actual_revenue: BigMoney = Doc("Revenue won in the period (= closed_amount)")
    forecast_accuracy_pct: Percent | None = Opt(
        description="100 - |actual - first committed forecast| / that forecast * 100, 0-100")
    snapshot_date: Date


@dataclass(frozen=True)
class Forecast:
    """The forecast committed at the period's first snapshot (closed + commit)."""

    forecast_id: str
    baseline: Decimal


def periods_of(day: date) -> tuple[Period, Period]:
    """The month and the quarter containing `day`."""
    return ("monthly", day.year, day.month), ("quarterly", day.year, (day.month - 1) // 3 + 1)


def contribution(opp: Opportunity) -> tuple[str, date] | None:
    """(bucket, date) an opportunity counts in, or None (lost deals count nowhere)."""
    if opp.stage == "closed_won":
        return "closed", opp.actual_close_date or opp.close_date
    if opp.stage == "closed_lost":
        return None
    return opp.forecast_category, opp.close_date


def forecast_id(period: Period, rep: str | None) -> str:
    """Deterministic per (period, rep): later snapshots of the period update one row."""
    kind, year, n = period
    fid = f"FC-{kind[0].upper()}{year}-{n:02d}-{rep or 'UNASSIGNED'}"
    return fid if len(fid) <= 50 else f"FC-{derive_id('forecast', fid)[:30]}"


def accuracy(actual: Decimal, baseline: Decimal) -> Decimal | None:
    """How close the actual revenue came to the first committed forecast, 0-100."""
    if baseline <= 0:
        return None
    return money(max(Decimal(0), 100 - abs(actual - baseline) * 100 / baseline))


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
def _track_opportunity(state: CrmState, e: Event) -> None:
    opp: Opportunity = state.get("opportunity", e.aggregate_id)
    contrib: dict[str, Any] = state.view(_CONTRIB)
    sums: dict[tuple[str, Period], dict[str, Decimal]] = state.view(_SUMS)
    open_deals: dict[str, int] = state.view(_OPEN)
    rep = opp.owner or ""
    old = contrib.pop(opp.opportunity_id, None)
    if old is not None:
        old_rep, old_periods, old_bucket, old_amount, was_open = old
        for period in old_periods:
            sums[(old_rep, period)][old_bucket] -= old_amount
        open_deals[old_rep] -= 1 if was_open else 0
    found = contribution(opp)
    if found is not None:
        bucket, day = found
        periods = periods_of(day)
        for period in periods:
            row = sums.setdefault((rep, period), dict.fromkeys(BUCKETS, Decimal(0)))
            row[bucket] += opp.amount
        contrib[opp.opportunity_id] = (rep, periods, bucket, opp.amount, not opp.is_closed)
    if not opp.is_closed:
        open_deals[rep] = open_deals.get(rep, 0) + 1


@indexes(SalesRepHired, RepQuotaSet)
def _track_quota(state: CrmState, e: SalesRepHired | RepQuotaSet) -> None:
    state.view(_QUOTAS)[e.aggregate_id] = (e.annual_quota, e.quarterly_quota)


# ---------------------------------------------------------------------------- snapshots

@on_tick
def take_snapshots(ctx: Context) -> None:
    """On the first tick of a week (or month): snapshot every rep's month and quarter."""
    clock: dict[str, date] = ctx.state.view(_CLOCK)
    today, last = ctx.now.date(), clock.get("last")
    clock["last"] = today  # tick rules never raise, so this needs no rollback
    if last is not None and last.isocalendar()[:2] == today.isocalendar()[:2] \
            and last.month == today.month:
        return
    current = periods_of(today)
    ended = [p for p in periods_of(last) if p not in current] if last else []
    for period in ended:
        _snapshot_period(ctx, period, today, include_open_reps=False)
    for period in current:
        _snapshot_period(ctx, period, today, include_open_reps=True)


def _snapshot_period(ctx: Context, period: Period, today: date, include_open_reps: bool
                     ) -> None:
    sums: dict[tuple[str, Period], dict[str, Decimal]] = ctx.state.view(_SUMS)
    reps = {rep for rep, p in sums if p == period}
    if include_open_reps:
        reps |= {rep for rep, n in ctx.state.view(_OPEN).items() if n > 0}
    zero = dict.fromkeys(BUCKETS, Decimal(0))
    for rep in sorted(reps):
        _emit_snapshot(ctx, period, rep or None, sums.get((rep, period), zero), today)


def _emit_snapshot(ctx: Context, period: Period, rep: str | None, row: dict[str, Decimal],
                   today: date) -> None:
    kind, year, n = period
    fid = forecast_id(period, rep)
    closed = row["closed"]
    quota = quota_for(period, ctx.state.view(_QUOTAS).get(rep)) if rep else None
    sales_rep = get_rep(ctx.state, rep)
    prior: Forecast | None = ctx.get("forecast", fid)
    baseline = prior.baseline if prior else closed + row["commit"]
    ctx.emit(
        ForecastSnapshotTaken, fid, forecast_period=kind, forecast_year=year,
        forecast_quarter=n if kind == "quarterly" else (n - 1) // 3 + 1,
        forecast_month=n if kind == "monthly" else None,
        territory_id=sales_rep.territory_id if sales_rep else None, sales_rep_id=rep,
        pipeline_amount=row["pipeline"], best_case_amount=row["best_case"],
        commit_amount=row["commit"], closed_amount=closed,
        total_forecast=sum(row.values(), Decimal(0)), quota_amount=quota,
        quota_attainment_pct=min(PCT_MAX, money(closed * 100 / quota)) if quota else None,
        actual_revenue=closed, forecast_accuracy_pct=accuracy(closed, baseline),
        snapshot_date=today,
    )


@evolves(ForecastSnapshotTaken)
def _snapshot(prior: Forecast | None, e: ForecastSnapshotTaken) -> Forecast:
    if prior is not None:
        return prior
    return Forecast(e.aggregate_id, e.closed_amount + e.commit_amount)
