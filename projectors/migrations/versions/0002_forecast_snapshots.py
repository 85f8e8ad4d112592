"""Forecast snapshots: crm_forecasting.sales_forecast_snapshots (beyond the 25-table contract).

Every weekly forecast snapshot of a rep and period, kept apart from sales_forecasts (which
holds each period's frozen call) so the seed's forecast-accuracy query never double counts.
The table lives in schema crm_forecasting, so the default schema keeps exactly the 25
contract tables (analysts name it crm_forecasting.sales_forecast_snapshots; the projector
appends the schema to its session's search_path). docs/read-model-extensions.md.

Revision ID: 0002_forecast_snapshots
Revises: 0001
Create Date: 2026-11-27 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_forecast_snapshots"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "crm_forecasting"


def _money(name: str, default: bool = True) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=True,
                     server_default=sa.text("0") if default else None)


def upgrade() -> None:
    """Create the schema and the table."""
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "sales_forecast_snapshots",
        sa.Column("snapshot_id", sa.String(length=64), nullable=False),
        sa.Column("forecast_id", sa.String(length=50), nullable=False),
        sa.Column("forecast_period", sa.String(length=20), nullable=True),
        sa.Column("forecast_year", sa.Integer(), nullable=False),
        sa.Column("forecast_quarter", sa.Integer(), nullable=True),
        sa.Column("forecast_month", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.String(length=50), nullable=True),
        sa.Column("sales_rep_id", sa.String(length=50), nullable=True),
        _money("pipeline_amount"),
        _money("best_case_amount"),
        _money("commit_amount"),
        _money("closed_amount"),
        _money("total_forecast"),
        _money("expected_amount", default=False),
        _money("forecast_call", default=False),
        _money("quota_amount", default=False),
        sa.Column("quota_attainment_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("forecast_accuracy_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("period_closed", sa.Boolean(), nullable=True,
                  server_default=sa.text("false")),
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("aggregate_version", sa.BigInteger(), server_default=sa.text("0"),
                  nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", name="sales_forecast_snapshots_pkey"),
        schema=SCHEMA,
    )
    op.create_index("ix_sales_forecast_snapshots_forecast_id", "sales_forecast_snapshots",
                    ["forecast_id"], unique=False, schema=SCHEMA)
    op.create_index("ix_sales_forecast_snapshots_forecast_year_forecast_quarter",
                    "sales_forecast_snapshots", ["forecast_year", "forecast_quarter"],
                    unique=False, schema=SCHEMA)


def downgrade() -> None:
    """Drop the table and the schema."""
    op.drop_table("sales_forecast_snapshots", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")
