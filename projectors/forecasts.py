"""sales_forecasts rows: one per (period, rep), updated by each later snapshot."""

from __future__ import annotations

from domain.forecasts import ForecastSnapshotTaken
from projectors.projection import Upsert, projects, upsert


@projects(ForecastSnapshotTaken)
def snapshot_taken(e: ForecastSnapshotTaken) -> list[Upsert]:
    """The latest snapshot's figures; created_at is the period's first snapshot."""
    first = {"created_at": e.occurred_at} if e.aggregate_version == 1 else {}
    return [upsert("sales_forecasts", e, {"forecast_id": e.aggregate_id}, **e.payload(),
                   **first)]
