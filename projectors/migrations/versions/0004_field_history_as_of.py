"""Field history: an index on (table_name, changed_at) for as-of reads (issue 19).

An as-of read of a table takes its changes after T (reports/asof.py); without this index
each table's read scans the whole history.

Revision ID: 0004_field_history_as_of
Revises: 0003_field_history
Create Date: 2026-11-27 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_field_history_as_of"
down_revision: str | None = "0003_field_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "crm_history"


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_field_history_table_name_changed_at", "field_history",
                    ["table_name", "changed_at"], unique=False, schema=SCHEMA)


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_field_history_table_name_changed_at", table_name="field_history",
                  schema=SCHEMA)
