"""The forecast view: per owner and calendar month, what the deals say.

Read by domain.forecasts.calls.

Kept current by @indexes on opportunity events, so the forecast rules read sums, never scan
deals. Each opportunity contributes to one calendar month of its owner: an open deal by its
forecast category at its close_date (and amount x probability to `expected`); a won deal
as `closed` at its actual_close_date; a lost deal nothing. A won deal also counts in
`fresh`, by the month it was created in (`Opportunity.created_at`: for a deal migrated from
a previous system its original creation, never the go-live): the business won from
pipeline generated inside a period (the run-rate). Months with won business that changed
are marked `dirty` so the tick can bring the called rows' actuals up to date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.calendars.fiscal import Period, period_bounds
from domain.kernel.rulebook import indexes
from domain.kernel.state import CrmState
from domain.opportunities.entities import Opportunity
from domain.opportunities.messages import (
    OpportunityCreated,
    OpportunityLost,
    OpportunityProductAdded,
    OpportunityStageChanged,
    OpportunityTermsChanged,
    OpportunityWon,
)
from domain.rules_config import FiscalRules
from domain.sales_org.messages import RepQuotaSet, SalesRepHired

Month = tuple[int, int]  # calendar (year, month)
BUCKETS = ("pipeline", "best_case", "commit", "closed", "expected")
CONTRIB = "forecast_contributions"  # opp id -> (rep, month, bucket, amount, expected, open,
#                                      created month of a won deal or None)
SUMS = "forecast_sums"  # (rep, month) -> {bucket: amount}
FRESH = "forecast_fresh"  # (rep, won month, created month) -> amount won
OPEN = "forecast_open_deals"  # rep -> number of open deals
QUOTAS = "forecast_quotas"  # rep -> (annual, quarterly)
DIRTY = "forecast_dirty"  # (rep, month) -> True: won business changed since the last tick


def contribution(opp: Opportunity) -> tuple[str, date] | None:
    """(bucket, date) an opportunity counts in, or None (lost deals count nowhere)."""
    if opp.stage == "closed_won":
        return "closed", opp.actual_close_date or opp.close_date
    if opp.stage == "closed_lost":
        return None
    return opp.forecast_category, opp.close_date


@indexes(OpportunityCreated, OpportunityProductAdded, OpportunityTermsChanged,
         OpportunityStageChanged, OpportunityWon, OpportunityLost)
def _track_opportunity(state: CrmState, e: Any) -> None:
    opp: Opportunity = state.get("opportunity", e.aggregate_id)
    contrib: dict[str, Any] = state.view(CONTRIB)
    sums: dict[tuple[str, Month], dict[str, Decimal]] = state.view(SUMS)
    fresh: dict[tuple[str, Month, Month], Decimal] = state.view(FRESH)
    open_deals: dict[str, int] = state.view(OPEN)
    rep = opp.owner or ""
    old = contrib.pop(opp.opportunity_id, None)
    if old is not None:
        old_rep, month, bucket, amount, expected, was_open, created = old
        sums[(old_rep, month)][bucket] -= amount
        sums[(old_rep, month)]["expected"] -= expected
        open_deals[old_rep] -= 1 if was_open else 0
        if created is not None:
            fresh[(old_rep, month, created)] -= amount
            state.view(DIRTY)[(old_rep, month)] = True
    found = contribution(opp)
    if found is not None:
        bucket, day = found
        month = (day.year, day.month)
        won = bucket == "closed"
        expected = opp.amount if won else opp.amount * opp.probability / 100
        row = sums.setdefault((rep, month), dict.fromkeys(BUCKETS, Decimal(0)))
        row[bucket] += opp.amount
        row["expected"] += expected
        created = (opp.created_at.year, opp.created_at.month) if won else None
        if created is not None:
            fresh[(rep, month, created)] = fresh.get((rep, month, created), Decimal(0)) \
                + opp.amount
            state.view(DIRTY)[(rep, month)] = True
        contrib[opp.opportunity_id] = (rep, month, bucket, opp.amount, expected,
                                       not opp.is_closed, created)
    if not opp.is_closed:
        open_deals[rep] = open_deals.get(rep, 0) + 1


@indexes(SalesRepHired, RepQuotaSet)
def _track_quota(state: CrmState, e: SalesRepHired | RepQuotaSet) -> None:
    state.view(QUOTAS)[e.aggregate_id] = (e.annual_quota, e.quarterly_quota)


def months_of(period: Period, fiscal: FiscalRules) -> list[Month]:
    """The calendar months of a period, in order."""
    start, end = period_bounds(period, fiscal)
    out: list[Month] = []
    year, month = start.year, start.month
    while (year, month) < (end.year, end.month):
        out.append((year, month))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return out


def figures(state: CrmState, period: Period, rep: str, fiscal: FiscalRules
            ) -> dict[str, Decimal]:
    """The rep's buckets for the period: the sums of its months."""
    out = dict.fromkeys(BUCKETS, Decimal(0))
    sums: dict[tuple[str, Month], dict[str, Decimal]] = state.view(SUMS)
    for month in months_of(period, fiscal):
        for bucket, amount in sums.get((rep, month), {}).items():
            out[bucket] += amount
    return out


def run_rate(state: CrmState, period: Period, rep: str, fiscal: FiscalRules) -> Decimal:
    """Won in `period` from deals created in it (the business no call could have seen)."""
    months = set(months_of(period, fiscal))
    return sum((amount for (r, won, created), amount in state.view(FRESH).items()
                if r == rep and won in months and created in months), Decimal(0))


def reps_in(state: CrmState, period: Period, fiscal: FiscalRules) -> set[str]:
    """Owners ('' = none) with deals in the period, or with open deals anywhere."""
    months = set(months_of(period, fiscal))
    reps = {rep for rep, month in state.view(SUMS) if month in months}
    return reps | {rep for rep, n in state.view(OPEN).items() if n > 0}
