"""Initial read model: the 25 CRM read tables and the crm_meta bookkeeping schema.

Generated from projectors/tables.py (Alembic's autogenerate renderer, tables in
read-model.md order) and kept verbatim; later schema changes get their own revisions.

Revision ID: 0001
Revises:
Create Date: 2025-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

META_SCHEMA = "crm_meta"
READ_TABLES = (
    "leads",
    "lead_activities",
    "accounts",
    "contacts",
    "opportunities",
    "opportunity_stage_history",
    "opportunity_products",
    "activities",
    "tasks",
    "quotations",
    "quotation_lines",
    "campaigns",
    "campaign_members",
    "cases",
    "case_comments",
    "contracts",
    "sales_reps",
    "sales_territories",
    "sales_forecasts",
    "customer_interactions",
    "notes",
    "crm_integration_log",
    "account_team_members",
    "quotation_approvals",
    "campaign_variants",
)


def upgrade() -> None:
    """Create crm_meta and all tables with their indexes."""
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(length=50), nullable=False),
        sa.Column("lead_number", sa.String(length=50), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("lead_source", sa.String(length=50), nullable=True),
        sa.Column("source_campaign_id", sa.String(length=50), nullable=True),
        sa.Column("contact_first_name", sa.String(length=100), nullable=True),
        sa.Column("contact_last_name", sa.String(length=100), nullable=True),
        sa.Column("contact_title", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("mobile", sa.String(length=50), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("company_size", sa.String(length=30), nullable=True),
        sa.Column("annual_revenue_range", sa.String(length=50), nullable=True),
        sa.Column("number_of_employees", sa.Integer(), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column(
            "country", sa.String(length=50), server_default=sa.text("'India'"), nullable=True
        ),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("lead_score", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("lead_grade", sa.String(length=1), nullable=True),
        sa.Column(
            "lead_status", sa.String(length=30), server_default=sa.text("'new'"), nullable=True
        ),
        sa.Column("qualification_status", sa.String(length=30), nullable=True),
        sa.Column("has_budget", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column(
            "is_decision_maker", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column(
            "has_identified_need", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column("has_timeline", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("product_interest", sa.String(length=200), nullable=True),
        sa.Column("estimated_deal_value", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("assigned_to", sa.String(length=50), nullable=True),
        sa.Column("assigned_date", sa.DateTime(), nullable=True),
        sa.Column("converted", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("converted_date", sa.DateTime(), nullable=True),
        sa.Column("converted_to_account_id", sa.String(length=50), nullable=True),
        sa.Column("converted_to_opportunity_id", sa.String(length=50), nullable=True),
        sa.Column("first_contact_date", sa.DateTime(), nullable=True),
        sa.Column("last_contact_date", sa.DateTime(), nullable=True),
        sa.Column("contact_attempts", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("leads_pkey")),
        sa.UniqueConstraint("lead_number", name=op.f("leads_lead_number_key")),
    )
    op.create_index("ix_leads_assigned_to", "leads", ["assigned_to"], unique=False)
    op.create_index("ix_leads_created_at", "leads", ["created_at"], unique=False)
    op.create_index("ix_leads_source_campaign_id", "leads", ["source_campaign_id"], unique=False)
    op.create_table(
        "lead_activities",
        sa.Column("activity_id", sa.String(length=50), nullable=False),
        sa.Column("lead_id", sa.String(length=50), nullable=False),
        sa.Column("activity_type", sa.String(length=30), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("activity_date", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("next_action", sa.String(length=200), nullable=True),
        sa.Column("next_action_date", sa.Date(), nullable=True),
        sa.Column("performed_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("lead_activities_pkey")),
    )
    op.create_index("ix_lead_activities_lead_id", "lead_activities", ["lead_id"], unique=False)
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("account_number", sa.String(length=50), nullable=False),
        sa.Column("customer_id", sa.String(length=50), nullable=True),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("account_type", sa.String(length=50), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("industry_segment", sa.String(length=100), nullable=True),
        sa.Column("account_tier", sa.String(length=20), nullable=True),
        sa.Column("company_size", sa.String(length=30), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("credit_limit", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("payment_terms", sa.String(length=50), nullable=True),
        sa.Column("parent_account_id", sa.String(length=50), nullable=True),
        sa.Column("billing_address_line1", sa.String(length=200), nullable=True),
        sa.Column("billing_address_line2", sa.String(length=200), nullable=True),
        sa.Column("billing_city", sa.String(length=100), nullable=True),
        sa.Column("billing_state", sa.String(length=100), nullable=True),
        sa.Column(
            "billing_country",
            sa.String(length=50),
            server_default=sa.text("'India'"),
            nullable=True,
        ),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_address_line1", sa.String(length=200), nullable=True),
        sa.Column("shipping_address_line2", sa.String(length=200), nullable=True),
        sa.Column("shipping_city", sa.String(length=100), nullable=True),
        sa.Column("shipping_state", sa.String(length=100), nullable=True),
        sa.Column(
            "shipping_country",
            sa.String(length=50),
            server_default=sa.text("'India'"),
            nullable=True,
        ),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("fax", sa.String(length=50), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("account_owner", sa.String(length=50), nullable=True),
        sa.Column("account_manager", sa.String(length=50), nullable=True),
        sa.Column(
            "relationship_status",
            sa.String(length=30),
            server_default=sa.text("'prospect'"),
            nullable=True,
        ),
        sa.Column("customer_since", sa.Date(), nullable=True),
        sa.Column("last_purchase_date", sa.Date(), nullable=True),
        sa.Column(
            "lifetime_value",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "ytd_revenue",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "last_year_revenue",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("health_score", sa.Integer(), server_default=sa.text("50"), nullable=True),
        sa.Column("churn_risk", sa.String(length=20), nullable=True),
        sa.Column("preferred_contact_method", sa.String(length=30), nullable=True),
        sa.Column("communication_frequency", sa.String(length=30), nullable=True),
        sa.Column("linkedin_url", sa.String(length=200), nullable=True),
        sa.Column("twitter_handle", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("accounts_pkey")),
        sa.UniqueConstraint("account_number", name=op.f("accounts_account_number_key")),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.String(length=50), nullable=False),
        sa.Column("contact_number", sa.String(length=50), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("salutation", sa.String(length=10), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), nullable=True),
        sa.Column("job_title", sa.String(length=100), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("contact_role", sa.String(length=50), nullable=True),
        sa.Column("decision_authority", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=100), nullable=True),
        sa.Column("email_opted_out", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("mobile", sa.String(length=50), nullable=True),
        sa.Column("reports_to_contact_id", sa.String(length=50), nullable=True),
        sa.Column("mailing_address_line1", sa.String(length=200), nullable=True),
        sa.Column("mailing_city", sa.String(length=100), nullable=True),
        sa.Column("mailing_state", sa.String(length=100), nullable=True),
        sa.Column("mailing_country", sa.String(length=50), nullable=True),
        sa.Column("mailing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("linkedin_url", sa.String(length=200), nullable=True),
        sa.Column("twitter_handle", sa.String(length=100), nullable=True),
        sa.Column("relationship_strength", sa.String(length=30), nullable=True),
        sa.Column("last_contact_date", sa.DateTime(), nullable=True),
        sa.Column("contact_frequency", sa.Integer(), nullable=True),
        sa.Column("preferred_contact_method", sa.String(length=30), nullable=True),
        sa.Column("best_time_to_contact", sa.String(length=50), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("interests", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "contact_status",
            sa.String(length=30),
            server_default=sa.text("'active'"),
            nullable=True,
        ),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("contacts_pkey")),
        sa.UniqueConstraint("contact_number", name=op.f("contacts_contact_number_key")),
    )
    op.create_index("ix_contacts_account_id", "contacts", ["account_id"], unique=False)
    op.create_table(
        "opportunities",
        sa.Column("opportunity_id", sa.String(length=50), nullable=False),
        sa.Column("opportunity_number", sa.String(length=50), nullable=False),
        sa.Column("opportunity_name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("primary_contact_id", sa.String(length=50), nullable=True),
        sa.Column("lead_source", sa.String(length=50), nullable=True),
        sa.Column("source_lead_id", sa.String(length=50), nullable=True),
        sa.Column("source_campaign_id", sa.String(length=50), nullable=True),
        sa.Column("opportunity_type", sa.String(length=50), nullable=True),
        sa.Column("product_category", sa.String(length=100), nullable=True),
        sa.Column("solution_description", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("expected_revenue", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("cost_estimate", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("margin_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "stage", sa.String(length=50), server_default=sa.text("'prospecting'"), nullable=True
        ),
        sa.Column("probability_pct", sa.Integer(), server_default=sa.text("10"), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("actual_close_date", sa.Date(), nullable=True),
        sa.Column("forecast_category", sa.String(length=30), nullable=True),
        sa.Column("opportunity_owner", sa.String(length=50), nullable=True),
        sa.Column("sales_team", sa.Text(), nullable=True),
        sa.Column("competitors", sa.Text(), nullable=True),
        sa.Column("competitive_position", sa.String(length=30), nullable=True),
        sa.Column("decision_criteria", sa.Text(), nullable=True),
        sa.Column("key_success_factors", sa.Text(), nullable=True),
        sa.Column("customer_requirements", sa.Text(), nullable=True),
        sa.Column("technical_requirements", sa.Text(), nullable=True),
        sa.Column("budget_confirmed", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("budget_amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column(
            "decision_maker_identified",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=True,
        ),
        sa.Column("customer_timeline", sa.String(length=100), nullable=True),
        sa.Column("next_step", sa.String(length=200), nullable=True),
        sa.Column("next_step_date", sa.Date(), nullable=True),
        sa.Column("win_loss_status", sa.String(length=20), nullable=True),
        sa.Column("win_loss_reason", sa.String(length=200), nullable=True),
        sa.Column("win_loss_notes", sa.Text(), nullable=True),
        sa.Column("lost_to_competitor", sa.String(length=200), nullable=True),
        sa.Column("converted_to_quote_id", sa.String(length=50), nullable=True),
        sa.Column("converted_to_order_id", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=50), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f("opportunities_pkey")),
        sa.UniqueConstraint(
            "opportunity_number", name=op.f("opportunities_opportunity_number_key")
        ),
    )
    op.create_index("ix_opportunities_account_id", "opportunities", ["account_id"], unique=False)
    op.create_index(
        "ix_opportunities_opportunity_owner", "opportunities", ["opportunity_owner"], unique=False
    )
    op.create_index(
        "ix_opportunities_source_campaign_id", "opportunities", ["source_campaign_id"], unique=False
    )
    op.create_index(
        "ix_opportunities_source_lead_id", "opportunities", ["source_lead_id"], unique=False
    )
    op.create_index("ix_opportunities_stage", "opportunities", ["stage"], unique=False)
    op.create_table(
        "opportunity_stage_history",
        sa.Column("history_id", sa.String(length=50), nullable=False),
        sa.Column("opportunity_id", sa.String(length=50), nullable=False),
        sa.Column("from_stage", sa.String(length=50), nullable=True),
        sa.Column("to_stage", sa.String(length=50), nullable=False),
        sa.Column("from_amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("to_amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("from_probability", sa.Integer(), nullable=True),
        sa.Column("to_probability", sa.Integer(), nullable=True),
        sa.Column("from_close_date", sa.Date(), nullable=True),
        sa.Column("to_close_date", sa.Date(), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("stage_duration_days", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=50), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("history_id", name=op.f("opportunity_stage_history_pkey")),
    )
    op.create_index(
        "ix_opportunity_stage_history_opportunity_id",
        "opportunity_stage_history",
        ["opportunity_id"],
        unique=False,
    )
    op.create_table(
        "opportunity_products",
        sa.Column("opp_product_id", sa.String(length=50), nullable=False),
        sa.Column("opportunity_id", sa.String(length=50), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("material_id", sa.String(length=50), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=True),
        sa.Column("product_description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=15, scale=4), nullable=True),
        sa.Column("unit_of_measure", sa.String(length=20), nullable=True),
        sa.Column("list_price", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column(
            "discount_pct",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("line_total", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("required_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("opp_product_id", name=op.f("opportunity_products_pkey")),
    )
    op.create_index(
        "ix_opportunity_products_opportunity_id",
        "opportunity_products",
        ["opportunity_id"],
        unique=False,
    )
    op.create_table(
        "activities",
        sa.Column("activity_id", sa.String(length=50), nullable=False),
        sa.Column("activity_number", sa.String(length=50), nullable=False),
        sa.Column("activity_type", sa.String(length=30), nullable=True),
        sa.Column("related_to_type", sa.String(length=30), nullable=True),
        sa.Column("related_to_id", sa.String(length=50), nullable=True),
        sa.Column("lead_id", sa.String(length=50), nullable=True),
        sa.Column("account_id", sa.String(length=50), nullable=True),
        sa.Column("contact_id", sa.String(length=50), nullable=True),
        sa.Column("opportunity_id", sa.String(length=50), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("activity_date", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), server_default=sa.text("30"), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "activity_status",
            sa.String(length=30),
            server_default=sa.text("'planned'"),
            nullable=True,
        ),
        sa.Column(
            "priority", sa.String(length=20), server_default=sa.text("'medium'"), nullable=True
        ),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.Column(
            "follow_up_required", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=True),
        sa.Column("assigned_to", sa.String(length=50), nullable=True),
        sa.Column("reminder_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("reminder_datetime", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("activities_pkey")),
        sa.UniqueConstraint("activity_number", name=op.f("activities_activity_number_key")),
    )
    op.create_index(
        "ix_activities_related_to_type_related_to_id",
        "activities",
        ["related_to_type", "related_to_id"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(length=50), nullable=False),
        sa.Column("task_number", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("related_to_type", sa.String(length=30), nullable=True),
        sa.Column("related_to_id", sa.String(length=50), nullable=True),
        sa.Column("task_type", sa.String(length=50), nullable=True),
        sa.Column(
            "priority", sa.String(length=20), server_default=sa.text("'medium'"), nullable=True
        ),
        sa.Column(
            "task_status",
            sa.String(length=30),
            server_default=sa.text("'not_started'"),
            nullable=True,
        ),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.Column("assigned_to", sa.String(length=50), nullable=True),
        sa.Column("reminder_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("reminder_date", sa.Date(), nullable=True),
        sa.Column("completion_notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("tasks_pkey")),
        sa.UniqueConstraint("task_number", name=op.f("tasks_task_number_key")),
    )
    op.create_index(
        "ix_tasks_related_to_type_related_to_id",
        "tasks",
        ["related_to_type", "related_to_id"],
        unique=False,
    )
    op.create_table(
        "quotations",
        sa.Column("quotation_id", sa.String(length=50), nullable=False),
        sa.Column("quotation_number", sa.String(length=50), nullable=False),
        sa.Column("quotation_name", sa.String(length=200), nullable=False),
        sa.Column("opportunity_id", sa.String(length=50), nullable=True),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("contact_id", sa.String(length=50), nullable=True),
        sa.Column("quotation_date", sa.Date(), nullable=False),
        sa.Column("valid_until_date", sa.Date(), nullable=False),
        sa.Column(
            "quotation_status",
            sa.String(length=30),
            server_default=sa.text("'draft'"),
            nullable=True,
        ),
        sa.Column("subtotal", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column(
            "discount_amount",
            sa.Numeric(precision=15, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "tax_amount",
            sa.Numeric(precision=15, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "shipping_cost",
            sa.Numeric(precision=15, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("total_amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default=sa.text("'INR'"), nullable=True),
        sa.Column("payment_terms", sa.String(length=50), nullable=True),
        sa.Column("delivery_terms", sa.String(length=100), nullable=True),
        sa.Column("warranty_terms", sa.Text(), nullable=True),
        sa.Column(
            "requires_approval", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column("approval_status", sa.String(length=30), nullable=True),
        sa.Column("approved_by", sa.String(length=50), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("converted", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("converted_date", sa.Date(), nullable=True),
        sa.Column("converted_to_order_id", sa.String(length=50), nullable=True),
        sa.Column("revision_number", sa.Integer(), server_default=sa.text("1"), nullable=True),
        sa.Column("parent_quotation_id", sa.String(length=50), nullable=True),
        sa.Column("special_terms", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("document_url", sa.String(length=500), nullable=True),
        sa.Column("prepared_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("quotation_id", name=op.f("quotations_pkey")),
        sa.UniqueConstraint("quotation_number", name=op.f("quotations_quotation_number_key")),
    )
    op.create_index("ix_quotations_account_id", "quotations", ["account_id"], unique=False)
    op.create_index("ix_quotations_opportunity_id", "quotations", ["opportunity_id"], unique=False)
    op.create_table(
        "quotation_lines",
        sa.Column("quote_line_id", sa.String(length=50), nullable=False),
        sa.Column("quotation_id", sa.String(length=50), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=True),
        sa.Column("material_id", sa.String(length=50), nullable=True),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("product_description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=15, scale=4), nullable=True),
        sa.Column("unit_of_measure", sa.String(length=20), nullable=True),
        sa.Column("list_price", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column(
            "discount_pct",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("line_total", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("delivery_lead_time_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("quote_line_id", name=op.f("quotation_lines_pkey")),
    )
    op.create_index(
        "ix_quotation_lines_quotation_id", "quotation_lines", ["quotation_id"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=50), nullable=False),
        sa.Column("campaign_code", sa.String(length=50), nullable=False),
        sa.Column("campaign_name", sa.String(length=200), nullable=False),
        sa.Column("campaign_type", sa.String(length=50), nullable=True),
        sa.Column(
            "campaign_status",
            sa.String(length=30),
            server_default=sa.text("'planned'"),
            nullable=True,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("target_audience", sa.String(length=200), nullable=True),
        sa.Column("target_industry", sa.String(length=100), nullable=True),
        sa.Column("target_company_size", sa.String(length=50), nullable=True),
        sa.Column("expected_response_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("budgeted_cost", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column(
            "actual_cost",
            sa.Numeric(precision=15, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("total_leads", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("qualified_leads", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "opportunities_created", sa.Integer(), server_default=sa.text("0"), nullable=True
        ),
        sa.Column("deals_won", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "total_revenue",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("roi_pct", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("cost_per_lead", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("conversion_rate_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("objectives", sa.Text(), nullable=True),
        sa.Column("campaign_owner", sa.String(length=50), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("campaigns_pkey")),
        sa.UniqueConstraint("campaign_code", name=op.f("campaigns_campaign_code_key")),
    )
    op.create_index("ix_campaigns_campaign_status", "campaigns", ["campaign_status"], unique=False)
    op.create_table(
        "campaign_members",
        sa.Column("member_id", sa.String(length=50), nullable=False),
        sa.Column("campaign_id", sa.String(length=50), nullable=False),
        sa.Column("member_type", sa.String(length=30), nullable=True),
        sa.Column("lead_id", sa.String(length=50), nullable=True),
        sa.Column("contact_id", sa.String(length=50), nullable=True),
        sa.Column(
            "member_status", sa.String(length=30), server_default=sa.text("'sent'"), nullable=True
        ),
        sa.Column("has_responded", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("response_date", sa.DateTime(), nullable=True),
        sa.Column("lead_created", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column(
            "opportunity_created", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("variant_code", sa.String(length=10), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("campaign_members_pkey")),
    )
    op.create_index(
        "ix_campaign_members_campaign_id", "campaign_members", ["campaign_id"], unique=False
    )
    op.create_index("ix_campaign_members_lead_id", "campaign_members", ["lead_id"], unique=False)
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=50), nullable=False),
        sa.Column("case_number", sa.String(length=50), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("contact_id", sa.String(length=50), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("case_type", sa.String(length=50), nullable=True),
        sa.Column("case_category", sa.String(length=50), nullable=True),
        sa.Column(
            "priority", sa.String(length=20), server_default=sa.text("'medium'"), nullable=True
        ),
        sa.Column(
            "case_status", sa.String(length=30), server_default=sa.text("'new'"), nullable=True
        ),
        sa.Column("sla_response_hours", sa.Integer(), nullable=True),
        sa.Column("sla_resolution_hours", sa.Integer(), nullable=True),
        sa.Column("response_due_date", sa.DateTime(), nullable=True),
        sa.Column("resolution_due_date", sa.DateTime(), nullable=True),
        sa.Column("first_response_date", sa.DateTime(), nullable=True),
        sa.Column("resolved_date", sa.DateTime(), nullable=True),
        sa.Column("closed_date", sa.DateTime(), nullable=True),
        sa.Column("sla_violated", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("assigned_to", sa.String(length=50), nullable=True),
        sa.Column("assigned_team", sa.String(length=50), nullable=True),
        sa.Column("escalated", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("escalated_to", sa.String(length=50), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.String(length=200), nullable=True),
        sa.Column("related_product", sa.String(length=200), nullable=True),
        sa.Column("related_order_id", sa.String(length=50), nullable=True),
        sa.Column("satisfaction_rating", sa.Integer(), nullable=True),
        sa.Column("customer_feedback", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("cases_pkey")),
        sa.UniqueConstraint("case_number", name=op.f("cases_case_number_key")),
    )
    op.create_index("ix_cases_account_id", "cases", ["account_id"], unique=False)
    op.create_index("ix_cases_created_at", "cases", ["created_at"], unique=False)
    op.create_table(
        "case_comments",
        sa.Column("comment_id", sa.String(length=50), nullable=False),
        sa.Column("case_id", sa.String(length=50), nullable=False),
        sa.Column("comment_text", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("case_comments_pkey")),
    )
    op.create_index("ix_case_comments_case_id", "case_comments", ["case_id"], unique=False)
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(length=50), nullable=False),
        sa.Column("contract_number", sa.String(length=50), nullable=False),
        sa.Column("contract_name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("contract_type", sa.String(length=50), nullable=True),
        sa.Column("contract_start_date", sa.Date(), nullable=False),
        sa.Column("contract_end_date", sa.Date(), nullable=False),
        sa.Column("contract_term_months", sa.Integer(), nullable=True),
        sa.Column(
            "contract_status",
            sa.String(length=30),
            server_default=sa.text("'draft'"),
            nullable=True,
        ),
        sa.Column("signed_date", sa.Date(), nullable=True),
        sa.Column("contract_value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("billing_frequency", sa.String(length=30), nullable=True),
        sa.Column("auto_renewal", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("renewal_term_months", sa.Integer(), nullable=True),
        sa.Column("renewal_notice_days", sa.Integer(), server_default=sa.text("60"), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("termination_notice_days", sa.Integer(), nullable=True),
        sa.Column("early_termination_penalty", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("payment_terms", sa.String(length=50), nullable=True),
        sa.Column("service_level_agreement", sa.Text(), nullable=True),
        sa.Column("special_terms", sa.Text(), nullable=True),
        sa.Column("contract_owner", sa.String(length=50), nullable=True),
        sa.Column("contract_document_url", sa.String(length=500), nullable=True),
        sa.Column("parent_contract_id", sa.String(length=50), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("contracts_pkey")),
        sa.UniqueConstraint("contract_number", name=op.f("contracts_contract_number_key")),
    )
    op.create_index("ix_contracts_account_id", "contracts", ["account_id"], unique=False)
    op.create_table(
        "sales_reps",
        sa.Column("sales_rep_id", sa.String(length=50), nullable=False),
        sa.Column("employee_id", sa.String(length=50), nullable=True),
        sa.Column("rep_code", sa.String(length=50), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("mobile", sa.String(length=50), nullable=True),
        sa.Column("sales_role", sa.String(length=50), nullable=True),
        sa.Column("job_title", sa.String(length=100), nullable=True),
        sa.Column("territory_id", sa.String(length=50), nullable=True),
        sa.Column("manager_id", sa.String(length=50), nullable=True),
        sa.Column("annual_quota", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("quarterly_quota", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column(
            "ytd_revenue",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("ytd_deals_closed", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("win_rate_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("avg_deal_size", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column(
            "rep_status", sa.String(length=30), server_default=sa.text("'active'"), nullable=True
        ),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("sales_rep_id", name=op.f("sales_reps_pkey")),
        sa.UniqueConstraint("rep_code", name=op.f("sales_reps_rep_code_key")),
    )
    op.create_table(
        "sales_territories",
        sa.Column("territory_id", sa.String(length=50), nullable=False),
        sa.Column("territory_code", sa.String(length=50), nullable=False),
        sa.Column("territory_name", sa.String(length=200), nullable=False),
        sa.Column("countries", sa.Text(), nullable=True),
        sa.Column("states", sa.Text(), nullable=True),
        sa.Column("cities", sa.Text(), nullable=True),
        sa.Column("industries", sa.Text(), nullable=True),
        sa.Column("account_tiers", sa.Text(), nullable=True),
        sa.Column("company_size", sa.Text(), nullable=True),
        sa.Column("territory_quota", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("territory_manager", sa.String(length=50), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("sales_territories_pkey")),
        sa.UniqueConstraint("territory_code", name=op.f("sales_territories_territory_code_key")),
    )
    op.create_table(
        "sales_forecasts",
        sa.Column("forecast_id", sa.String(length=50), nullable=False),
        sa.Column("forecast_period", sa.String(length=20), nullable=True),
        sa.Column("forecast_year", sa.Integer(), nullable=False),
        sa.Column("forecast_quarter", sa.Integer(), nullable=True),
        sa.Column("forecast_month", sa.Integer(), nullable=True),
        sa.Column("territory_id", sa.String(length=50), nullable=True),
        sa.Column("sales_rep_id", sa.String(length=50), nullable=True),
        sa.Column(
            "pipeline_amount",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "best_case_amount",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "commit_amount",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "closed_amount",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column(
            "total_forecast",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("quota_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("quota_attainment_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "actual_revenue",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0"),
            nullable=True,
        ),
        sa.Column("forecast_accuracy_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("snapshot_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("forecast_id", name=op.f("sales_forecasts_pkey")),
    )
    op.create_index(
        "ix_sales_forecasts_forecast_period", "sales_forecasts", ["forecast_period"], unique=False
    )
    op.create_index(
        "ix_sales_forecasts_sales_rep_id", "sales_forecasts", ["sales_rep_id"], unique=False
    )
    op.create_table(
        "customer_interactions",
        sa.Column("interaction_id", sa.String(length=50), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=True),
        sa.Column("contact_id", sa.String(length=50), nullable=True),
        sa.Column("opportunity_id", sa.String(length=50), nullable=True),
        sa.Column("case_id", sa.String(length=50), nullable=True),
        sa.Column("interaction_type", sa.String(length=50), nullable=True),
        sa.Column("interaction_date", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("performed_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("customer_interactions_pkey")),
    )
    op.create_index(
        "ix_customer_interactions_account_id", "customer_interactions", ["account_id"], unique=False
    )
    op.create_table(
        "notes",
        sa.Column("note_id", sa.String(length=50), nullable=False),
        sa.Column("related_to_type", sa.String(length=30), nullable=True),
        sa.Column("related_to_id", sa.String(length=50), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("note_text", sa.Text(), nullable=False),
        sa.Column("is_private", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("created_by", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("note_id", name=op.f("notes_pkey")),
    )
    op.create_index(
        "ix_notes_related_to_type_related_to_id",
        "notes",
        ["related_to_type", "related_to_id"],
        unique=False,
    )
    op.create_table(
        "crm_integration_log",
        sa.Column("log_id", sa.String(length=50), nullable=False),
        sa.Column("log_timestamp", sa.DateTime(), nullable=True),
        sa.Column("integration_direction", sa.String(length=20), nullable=True),
        sa.Column("document_type", sa.String(length=50), nullable=True),
        sa.Column("document_id", sa.String(length=50), nullable=True),
        sa.Column("integration_status", sa.String(length=30), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("integration_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_retry_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("log_id", name=op.f("crm_integration_log_pkey")),
    )
    op.create_index(
        "ix_crm_integration_log_document_type_document_id",
        "crm_integration_log",
        ["document_type", "document_id"],
        unique=False,
    )
    op.create_table(
        "account_team_members",
        sa.Column("team_member_id", sa.String(length=50), nullable=False),
        sa.Column("account_id", sa.String(length=50), nullable=False),
        sa.Column("sales_rep_id", sa.String(length=50), nullable=False),
        sa.Column("team_role", sa.String(length=30), nullable=True),
        sa.Column("access_level", sa.String(length=20), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("team_member_id", name=op.f("account_team_members_pkey")),
    )
    op.create_index(
        "ix_account_team_members_account_id", "account_team_members", ["account_id"], unique=False
    )
    op.create_index(
        "ix_account_team_members_sales_rep_id",
        "account_team_members",
        ["sales_rep_id"],
        unique=False,
    )
    op.create_table(
        "quotation_approvals",
        sa.Column("approval_id", sa.String(length=50), nullable=False),
        sa.Column("quotation_id", sa.String(length=50), nullable=False),
        sa.Column("approval_level", sa.Integer(), nullable=True),
        sa.Column("approver_id", sa.String(length=50), nullable=True),
        sa.Column("approval_reason", sa.String(length=200), nullable=True),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("total_amount", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column(
            "decision", sa.String(length=20), server_default=sa.text("'pending'"), nullable=True
        ),
        sa.Column("requested_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("quotation_approvals_pkey")),
    )
    op.create_index(
        "ix_quotation_approvals_quotation_id", "quotation_approvals", ["quotation_id"], unique=False
    )
    op.create_table(
        "campaign_variants",
        sa.Column("variant_id", sa.String(length=50), nullable=False),
        sa.Column("campaign_id", sa.String(length=50), nullable=False),
        sa.Column("variant_code", sa.String(length=10), nullable=True),
        sa.Column("variant_name", sa.String(length=200), nullable=True),
        sa.Column("content_description", sa.Text(), nullable=True),
        sa.Column("members_sent", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("opened", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("clicked", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("responded", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("leads_created", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("open_rate_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("click_rate_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("response_rate_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("is_winner", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column(
            "aggregate_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("campaign_variants_pkey")),
    )
    op.create_index(
        "ix_campaign_variants_campaign_id", "campaign_variants", ["campaign_id"], unique=False
    )
    op.create_table(
        "projector_offsets",
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "consumer_group", "topic", "partition", name=op.f("projector_offsets_pkey")
        ),
        schema=META_SCHEMA,
        comment="Next Kafka offset per consumer group/topic/partition, committed with the rows.",
    )


def downgrade() -> None:
    """Drop every table of this revision (crm_meta stays: it holds Alembic's version table)."""
    op.drop_table("projector_offsets", schema=META_SCHEMA)
    for name in reversed(READ_TABLES):
        op.drop_table(name)
