"""Field history: crm_history.field_history (beyond the 25-table contract, issue 19).

One row per changed column of a read-table row, with the event, command and actor that
changed it; written by the projector in the same transaction as the rows and offsets
(projectors/history.py). Its own schema keeps the default schema at exactly the 25
contract tables. docs/read-model-extensions.md, docs/time-travel.md.

Revision ID: 0003_field_history
Revises: 0002_forecast_snapshots
Create Date: 2026-11-27 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_field_history"
down_revision: str | None = "0002_forecast_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "crm_history"


def upgrade() -> None:
    """Create the schema, the table and its lookup indexes."""
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.create_table(
        "field_history",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("column_name", sa.String(length=63), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_type", sa.String(length=50), nullable=True),
        sa.Column("aggregate_id", sa.String(length=50), nullable=True),
        sa.Column("command_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=50), nullable=True),
        sa.Column("aggregate_version", sa.BigInteger(), server_default=sa.text("0"),
                  nullable=False),
        sa.PrimaryKeyConstraint("event_id", "table_name", "record_id", "column_name",
                                name="field_history_pkey"),
        schema=SCHEMA,
    )
    op.create_index("ix_field_history_record_id", "field_history", ["record_id"],
                    unique=False, schema=SCHEMA)
    op.create_index("ix_field_history_aggregate_id", "field_history", ["aggregate_id"],
                    unique=False, schema=SCHEMA)


def downgrade() -> None:
    """Drop the table and the schema."""
    op.drop_table("field_history", schema=SCHEMA)
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")
