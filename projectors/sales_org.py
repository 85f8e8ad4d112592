"""sales_territories and sales_reps rows from territory and sales-rep events."""

from __future__ import annotations

from decimal import Decimal

from domain.sales_org.messages import (
    RepPerformanceUpdated,
    RepQuotaSet,
    RepStatusChanged,
    SalesRepHired,
    TerritoryDefined,
)
from projectors.projection import Upsert, projects, upsert


@projects(TerritoryDefined)
def territory_defined(e: TerritoryDefined) -> list[Upsert]:
    """A new territory row; criteria lists become JSON-array text."""
    return [upsert("sales_territories", e, {"territory_id": e.aggregate_id}, **e.payload(),
                   is_active=True, created_at=e.occurred_at)]


@projects(SalesRepHired)
def rep_hired(e: SalesRepHired) -> list[Upsert]:
    """A new, active sales rep with zero performance."""
    return [upsert("sales_reps", e, {"sales_rep_id": e.aggregate_id}, **e.payload(),
                   rep_status="active", is_active=True, ytd_revenue=Decimal(0),
                   ytd_deals_closed=0, created_at=e.occurred_at, updated_at=e.occurred_at)]


@projects(RepQuotaSet)
def quota_set(e: RepQuotaSet) -> list[Upsert]:
    """New quota."""
    return [upsert("sales_reps", e, {"sales_rep_id": e.aggregate_id},
                   annual_quota=e.annual_quota, quarterly_quota=e.quarterly_quota,
                   updated_at=e.occurred_at)]


@projects(RepStatusChanged)
def status_changed(e: RepStatusChanged) -> list[Upsert]:
    """Status and is_active."""
    return [upsert("sales_reps", e, {"sales_rep_id": e.aggregate_id},
                   rep_status=e.rep_status, is_active=e.is_active, updated_at=e.occurred_at)]


@projects(RepPerformanceUpdated)
def performance_updated(e: RepPerformanceUpdated) -> list[Upsert]:
    """Absolute year-to-date figures."""
    return [upsert("sales_reps", e, {"sales_rep_id": e.aggregate_id},
                   ytd_revenue=e.ytd_revenue, ytd_deals_closed=e.ytd_deals_closed,
                   win_rate_pct=e.win_rate_pct, avg_deal_size=e.avg_deal_size,
                   updated_at=e.occurred_at)]
