"""sales_forecasts rows (one per called period and rep) and the weekly snapshot table.

sales_forecasts: `ForecastCalled` writes the row as called (commit_amount = the frozen
call, pipeline/best_case/total as they stood at the call, snapshot_date = the call day);
`ForecastActualsUpdated` (whenever won business of the period changes) and later
snapshots only bring closed_amount, actual_revenue, quota and attainment up to date; the
closing snapshot sets forecast_accuracy_pct.
crm_forecasting.sales_forecast_snapshots: one row per `ForecastSnapshotTaken`.
"""

from __future__ import annotations

from domain.forecasts.calls import attainment
from domain.forecasts.messages import ForecastActualsUpdated, ForecastCalled, ForecastSnapshotTaken
from projectors.projection import Upsert, projects, upsert


@projects(ForecastCalled)
def forecast_called(e: ForecastCalled) -> list[Upsert]:
    """The period's row, frozen at the call; created_at is the call's event time."""
    total = e.pipeline_amount + e.best_case_amount + e.commit_amount + e.closed_amount
    return [upsert(
        "sales_forecasts", e, {"forecast_id": e.aggregate_id},
        forecast_period=e.forecast_period, forecast_year=e.forecast_year,
        forecast_quarter=e.forecast_quarter, forecast_month=e.forecast_month,
        territory_id=e.territory_id, sales_rep_id=e.sales_rep_id,
        pipeline_amount=e.pipeline_amount, best_case_amount=e.best_case_amount,
        commit_amount=e.forecast_call, closed_amount=e.closed_amount, total_forecast=total,
        quota_amount=e.quota_amount,
        quota_attainment_pct=attainment(e.closed_amount, e.quota_amount),
        actual_revenue=e.closed_amount, forecast_accuracy_pct=None,
        snapshot_date=e.call_date, created_at=e.occurred_at)]


@projects(ForecastSnapshotTaken)
def snapshot_taken(e: ForecastSnapshotTaken) -> list[Upsert]:
    """A snapshot row; for a called period also the row's actuals (accuracy at close)."""
    values = e.payload()
    del values["actual_revenue"]  # = closed_amount; not a column of the snapshot table
    out = [upsert("sales_forecast_snapshots", e,
                  {"snapshot_id": f"{e.aggregate_id}@{e.snapshot_date:%Y%m%d}"},
                  forecast_id=e.aggregate_id, **values, created_at=e.occurred_at)]
    if e.forecast_call is not None:
        out.append(upsert(
            "sales_forecasts", e, {"forecast_id": e.aggregate_id},
            closed_amount=e.closed_amount, actual_revenue=e.actual_revenue,
            quota_amount=e.quota_amount, quota_attainment_pct=e.quota_attainment_pct,
            forecast_accuracy_pct=e.forecast_accuracy_pct))
    return out


@projects(ForecastActualsUpdated)
def actuals_updated(e: ForecastActualsUpdated) -> list[Upsert]:
    """The called row's actuals, as of now."""
    return [upsert("sales_forecasts", e, {"forecast_id": e.aggregate_id},
                   closed_amount=e.closed_amount, actual_revenue=e.actual_revenue,
                   quota_amount=e.quota_amount, quota_attainment_pct=e.quota_attainment_pct)]
