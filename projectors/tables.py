"""The PostgreSQL read model: the 25 CRM read tables and the `crm_meta` bookkeeping schema.

The 25 tables in the default schema are the analysts' contract (shared/docs/read-model.md):
table names, column names, types, primary keys, unique keys, NOT NULL and server defaults
are exactly as documented there; tests/test_read_model_contract.py checks this against the
document itself. Foreign keys are logical only (a row may arrive before its parent), so no
FOREIGN KEY constraints are declared.

Beyond the contract, every read table gets `aggregate_version` (the version of the last
event applied to the row, for idempotent upserts), marked ``info={"contract": False}``
so that checksums ignore it. Bookkeeping that is not CRM data (consumer offsets, the
Alembic version table) lives in the `crm_meta` schema.

One module, longer than the others, on purpose: it is declarations only (no logic), in
the order of read-model.md, so the contract can be read and diffed against that document
table by table in one place, and every table shares the column helpers above them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

META_SCHEMA = "crm_meta"
"""Schema for bookkeeping (offsets, migration version); analysts get no access to it."""

VERSION_COLUMN = "aggregate_version"
"""Per-row version of the last event applied; not part of the analysts' contract."""

# PostgreSQL's own default names for keys, explicit names for indexes: migrations and
# `metadata` then agree on every constraint name.
metadata = MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)

TABLES: dict[str, Table] = {}
"""The 25 read tables by name, in the order of read-model.md."""


def _col(
    name: str,
    type_: TypeEngine,
    *,
    nullable: bool = True,
    unique: bool = False,
    default: str | int | bool | None = None,
) -> Column:
    """A contract column; `default` becomes a SQL literal server default."""
    if default is None:
        server_default = None
    elif isinstance(default, bool):
        server_default = text("true" if default else "false")
    elif isinstance(default, int):
        server_default = text(str(default))
    else:
        server_default = text("'" + default.replace("'", "''") + "'")
    return Column(
        name, type_, nullable=nullable, unique=unique or None, server_default=server_default
    )


def _pk(name: str) -> Column:
    return Column(name, String(50), primary_key=True)


def _str(name: str, length: int, **options: Any) -> Column:
    return _col(name, String(length), **options)


def _dec(name: str, precision: int, scale: int, **options: Any) -> Column:
    return _col(name, Numeric(precision, scale), **options)


def _int(name: str, **options: Any) -> Column:
    return _col(name, Integer(), **options)


def _bool(name: str, **options: Any) -> Column:
    return _col(name, Boolean(), **options)


def _text(name: str, **options: Any) -> Column:
    return _col(name, Text(), **options)


def _ts(name: str, **options: Any) -> Column:
    return _col(name, DateTime(timezone=False), **options)


def _date(name: str, **options: Any) -> Column:
    return _col(name, Date(), **options)


def _jsonb(name: str, **options: Any) -> Column:
    return _col(name, JSONB(), **options)


_IndexSpec = str | tuple[str, ...]


def _read_table(name: str, *columns: Column, index: tuple[_IndexSpec, ...] = ()) -> Table:
    """Declare one read table: contract columns + `aggregate_version` + lookup indexes."""
    table = Table(
        name,
        metadata,
        *columns,
        Column(
            VERSION_COLUMN,
            BigInteger(),
            nullable=False,
            server_default=text("0"),
            info={"contract": False},
        ),
    )
    for spec in index:
        cols = (spec,) if isinstance(spec, str) else spec
        Index(f"ix_{name}_{'_'.join(cols)}", *(table.c[c] for c in cols))
    TABLES[name] = table
    return table


def contract_columns(table: Table) -> list[Column]:
    """The columns of `table` that belong to the analysts' contract, in declaration order."""
    return [c for c in table.columns if c.info.get("contract", True)]


# --------------------------------------------------------------------------------------
# The 25 read tables, in the order of read-model.md. Enum lists are documented there; the
# projectors enforce them (no CHECK constraints, so the contract stays the document's).
# --------------------------------------------------------------------------------------

leads = _read_table(
    "leads",
    _pk("lead_id"),
    _str("lead_number", 50, unique=True, nullable=False),
    _str("company_name", 200, nullable=False),
    _str("lead_source", 50),
    _str("source_campaign_id", 50),
    _str("contact_first_name", 100),
    _str("contact_last_name", 100),
    _str("contact_title", 100),
    _str("email", 100),
    _str("phone", 50),
    _str("mobile", 50),
    _str("industry", 100),
    _str("company_size", 30),
    _str("annual_revenue_range", 50),
    _int("number_of_employees"),
    _str("address_line1", 200),
    _str("address_line2", 200),
    _str("city", 100),
    _str("state", 100),
    _str("country", 50, default="India"),
    _str("postal_code", 20),
    _int("lead_score", default=0),
    _str("lead_grade", 1),
    _str("lead_status", 30, default="new"),
    _str("qualification_status", 30),
    _bool("has_budget", default=False),
    _bool("is_decision_maker", default=False),
    _bool("has_identified_need", default=False),
    _bool("has_timeline", default=False),
    _str("product_interest", 200),
    _dec("estimated_deal_value", 15, 2),
    _date("expected_close_date"),
    _str("assigned_to", 50),
    _ts("assigned_date"),
    _bool("converted", default=False),
    _ts("converted_date"),
    _str("converted_to_account_id", 50),
    _str("converted_to_opportunity_id", 50),
    _ts("first_contact_date"),
    _ts("last_contact_date"),
    _int("contact_attempts", default=0),
    _text("description"),
    _text("notes"),
    _bool("is_active", default=True),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=("created_at", "source_campaign_id", "assigned_to"),
)

lead_activities = _read_table(
    "lead_activities",
    _pk("activity_id"),
    _str("lead_id", 50, nullable=False),
    _str("activity_type", 30),
    _str("subject", 200),
    _text("description"),
    _ts("activity_date", nullable=False),
    _int("duration_minutes"),
    _str("outcome", 30),
    _str("next_action", 200),
    _date("next_action_date"),
    _str("performed_by", 50),
    _ts("created_at"),
    index=("lead_id",),
)

accounts = _read_table(
    "accounts",
    _pk("account_id"),
    _str("account_number", 50, unique=True, nullable=False),
    _str("customer_id", 50),
    _str("account_name", 200, nullable=False),
    _str("account_type", 50),
    _str("industry", 100),
    _str("industry_segment", 100),
    _str("account_tier", 20),
    _str("company_size", 30),
    _dec("annual_revenue", 18, 2),
    _int("employee_count"),
    _dec("credit_limit", 15, 2),
    _str("payment_terms", 50),
    _str("parent_account_id", 50),
    _str("billing_address_line1", 200),
    _str("billing_address_line2", 200),
    _str("billing_city", 100),
    _str("billing_state", 100),
    _str("billing_country", 50, default="India"),
    _str("billing_postal_code", 20),
    _str("shipping_address_line1", 200),
    _str("shipping_address_line2", 200),
    _str("shipping_city", 100),
    _str("shipping_state", 100),
    _str("shipping_country", 50, default="India"),
    _str("shipping_postal_code", 20),
    _str("phone", 50),
    _str("fax", 50),
    _str("website", 200),
    _str("account_owner", 50),
    _str("account_manager", 50),
    _str("relationship_status", 30, default="prospect"),
    _date("customer_since"),
    _date("last_purchase_date"),
    _dec("lifetime_value", 18, 2, default=0),
    _dec("ytd_revenue", 18, 2, default=0),
    _dec("last_year_revenue", 18, 2, default=0),
    _int("health_score", default=50),
    _str("churn_risk", 20),
    _str("preferred_contact_method", 30),
    _str("communication_frequency", 30),
    _str("linkedin_url", 200),
    _str("twitter_handle", 100),
    _text("description"),
    _text("notes"),
    _bool("is_active", default=True),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
)

contacts = _read_table(
    "contacts",
    _pk("contact_id"),
    _str("contact_number", 50, unique=True, nullable=False),
    _str("account_id", 50, nullable=False),
    _str("salutation", 10),
    _str("first_name", 100, nullable=False),
    _str("last_name", 100, nullable=False),
    _str("middle_name", 100),
    _str("job_title", 100),
    _str("department", 100),
    _str("contact_role", 50),
    _str("decision_authority", 50),
    _str("email", 100),
    _bool("email_opted_out", default=False),
    _str("phone", 50),
    _str("mobile", 50),
    _str("reports_to_contact_id", 50),
    _str("mailing_address_line1", 200),
    _str("mailing_city", 100),
    _str("mailing_state", 100),
    _str("mailing_country", 50),
    _str("mailing_postal_code", 20),
    _str("linkedin_url", 200),
    _str("twitter_handle", 100),
    _str("relationship_strength", 30),
    _ts("last_contact_date"),
    _int("contact_frequency"),
    _str("preferred_contact_method", 30),
    _str("best_time_to_contact", 50),
    _date("birthday"),
    _text("interests"),
    _text("notes"),
    _str("contact_status", 30, default="active"),
    _bool("is_primary", default=False),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=("account_id",),
)

opportunities = _read_table(
    "opportunities",
    _pk("opportunity_id"),
    _str("opportunity_number", 50, unique=True, nullable=False),
    _str("opportunity_name", 200, nullable=False),
    _str("account_id", 50, nullable=False),
    _str("primary_contact_id", 50),
    _str("lead_source", 50),
    _str("source_lead_id", 50),
    _str("source_campaign_id", 50),
    _str("opportunity_type", 50),
    _str("product_category", 100),
    _text("solution_description"),
    _dec("amount", 15, 2, nullable=False),
    _dec("expected_revenue", 15, 2),
    _dec("cost_estimate", 15, 2),
    _dec("margin_pct", 5, 2),
    # read-model.md truncates the list after "negotiation,"; design.md and the seed's
    # pipeline query complete it with closed_won and closed_lost.
    _str("stage", 50, default="prospecting"),
    _int("probability_pct", default=10),
    _date("close_date", nullable=False),
    _date("expected_close_date"),
    _date("actual_close_date"),
    _str("forecast_category", 30),
    _str("opportunity_owner", 50),
    _text("sales_team"),
    _text("competitors"),
    _str("competitive_position", 30),
    _text("decision_criteria"),
    _text("key_success_factors"),
    _text("customer_requirements"),
    _text("technical_requirements"),
    _bool("budget_confirmed", default=False),
    _dec("budget_amount", 15, 2),
    _bool("decision_maker_identified", default=False),
    _str("customer_timeline", 100),
    _str("next_step", 200),
    _date("next_step_date"),
    _str("win_loss_status", 20),
    _str("win_loss_reason", 200),
    _text("win_loss_notes"),
    _str("lost_to_competitor", 200),
    _str("converted_to_quote_id", 50),
    _str("converted_to_order_id", 50),
    _text("description"),
    _text("notes"),
    _bool("is_active", default=True),
    _bool("is_closed", default=False),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    _str("closed_by", 50),
    _ts("closed_at"),
    index=("stage", "opportunity_owner", "account_id", "source_lead_id", "source_campaign_id"),
)

opportunity_stage_history = _read_table(
    "opportunity_stage_history",
    _pk("history_id"),
    _str("opportunity_id", 50, nullable=False),
    _str("from_stage", 50),
    _str("to_stage", 50, nullable=False),
    _dec("from_amount", 15, 2),
    _dec("to_amount", 15, 2),
    _int("from_probability"),
    _int("to_probability"),
    _date("from_close_date"),
    _date("to_close_date"),
    _text("change_reason"),
    _int("stage_duration_days"),
    _str("changed_by", 50),
    _ts("changed_at"),
    index=("opportunity_id",),
)

opportunity_products = _read_table(
    "opportunity_products",
    _pk("opp_product_id"),
    _str("opportunity_id", 50, nullable=False),
    _int("line_number"),
    _str("material_id", 50),
    _str("product_name", 200),
    _text("product_description"),
    _dec("quantity", 15, 4),
    _str("unit_of_measure", 20),
    _dec("list_price", 12, 4),
    _dec("discount_pct", 5, 2, default=0),
    _dec("unit_price", 12, 4),
    _dec("line_total", 15, 2),
    _date("required_date"),
    _ts("created_at"),
    index=("opportunity_id",),
)

activities = _read_table(
    "activities",
    _pk("activity_id"),
    _str("activity_number", 50, unique=True, nullable=False),
    _str("activity_type", 30),
    _str("related_to_type", 30),
    _str("related_to_id", 50),
    _str("lead_id", 50),
    _str("account_id", 50),
    _str("contact_id", 50),
    _str("opportunity_id", 50),
    _str("subject", 200, nullable=False),
    _text("description"),
    _ts("activity_date", nullable=False),
    _int("duration_minutes", default=30),
    _str("location", 200),
    _str("activity_status", 30, default="planned"),
    _str("priority", 20, default="medium"),
    _str("outcome", 30),
    _text("outcome_notes"),
    _bool("follow_up_required", default=False),
    _date("follow_up_date"),
    _text("attendees"),
    _str("assigned_to", 50),
    _bool("reminder_enabled", default=False),
    _ts("reminder_datetime"),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=(("related_to_type", "related_to_id"),),
)

tasks = _read_table(
    "tasks",
    _pk("task_id"),
    _str("task_number", 50, unique=True, nullable=False),
    _str("subject", 200, nullable=False),
    _text("description"),
    _str("related_to_type", 30),
    _str("related_to_id", 50),
    _str("task_type", 50),
    _str("priority", 20, default="medium"),
    _str("task_status", 30, default="not_started"),
    _date("due_date", nullable=False),
    _date("completed_date"),
    _str("assigned_to", 50),
    _bool("reminder_enabled", default=True),
    _date("reminder_date"),
    _text("completion_notes"),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=(("related_to_type", "related_to_id"),),
)

quotations = _read_table(
    "quotations",
    _pk("quotation_id"),
    _str("quotation_number", 50, unique=True, nullable=False),
    _str("quotation_name", 200, nullable=False),
    _str("opportunity_id", 50),
    _str("account_id", 50, nullable=False),
    _str("contact_id", 50),
    _date("quotation_date", nullable=False),
    _date("valid_until_date", nullable=False),
    _str("quotation_status", 30, default="draft"),
    _dec("subtotal", 15, 2),
    _dec("discount_amount", 15, 2, default=0),
    _dec("tax_amount", 15, 2, default=0),
    _dec("shipping_cost", 15, 2, default=0),
    _dec("total_amount", 15, 2, nullable=False),
    _str("currency", 3, default="INR"),
    _str("payment_terms", 50),
    _str("delivery_terms", 100),
    _text("warranty_terms"),
    _bool("requires_approval", default=False),
    _str("approval_status", 30),
    _str("approved_by", 50),
    _ts("approved_at"),
    _bool("converted", default=False),
    _date("converted_date"),
    _str("converted_to_order_id", 50),
    _int("revision_number", default=1),
    _str("parent_quotation_id", 50),
    _text("special_terms"),
    _text("notes"),
    _str("document_url", 500),
    _str("prepared_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=("opportunity_id", "account_id"),
)

quotation_lines = _read_table(
    "quotation_lines",
    _pk("quote_line_id"),
    _str("quotation_id", 50, nullable=False),
    _int("line_number"),
    _str("material_id", 50),
    _str("product_name", 200, nullable=False),
    _text("product_description"),
    _dec("quantity", 15, 4),
    _str("unit_of_measure", 20),
    _dec("list_price", 12, 4),
    _dec("discount_pct", 5, 2, default=0),
    _dec("unit_price", 12, 4),
    _dec("line_total", 15, 2),
    _int("delivery_lead_time_days"),
    _ts("created_at"),
    index=("quotation_id",),
)

campaigns = _read_table(
    "campaigns",
    _pk("campaign_id"),
    _str("campaign_code", 50, unique=True, nullable=False),
    _str("campaign_name", 200, nullable=False),
    _str("campaign_type", 50),
    _str("campaign_status", 30, default="planned"),
    _date("start_date", nullable=False),
    _date("end_date", nullable=False),
    _str("target_audience", 200),
    _str("target_industry", 100),
    _str("target_company_size", 50),
    _dec("expected_response_pct", 5, 2),
    _dec("budgeted_cost", 15, 2),
    _dec("actual_cost", 15, 2, default=0),
    _int("total_leads", default=0),
    _int("qualified_leads", default=0),
    _int("opportunities_created", default=0),
    _int("deals_won", default=0),
    _dec("total_revenue", 18, 2, default=0),
    _dec("roi_pct", 8, 2),
    _dec("cost_per_lead", 12, 2),
    _dec("conversion_rate_pct", 5, 2),
    _text("description"),
    _text("objectives"),
    _str("campaign_owner", 50),
    _bool("is_active", default=True),
    _ts("created_at"),
    _ts("updated_at"),
    index=("campaign_status",),
)

campaign_members = _read_table(
    "campaign_members",
    _pk("member_id"),
    _str("campaign_id", 50, nullable=False),
    _str("member_type", 30),
    _str("lead_id", 50),
    _str("contact_id", 50),
    _str("member_status", 30, default="sent"),
    _bool("has_responded", default=False),
    _ts("response_date"),
    _bool("lead_created", default=False),
    _bool("opportunity_created", default=False),
    _ts("created_at"),
    _str("variant_code", 10),  # A/B test variant (campaign_variants)
    index=("campaign_id", "lead_id"),
)

cases = _read_table(
    "cases",
    _pk("case_id"),
    _str("case_number", 50, unique=True, nullable=False),
    _str("account_id", 50, nullable=False),
    _str("contact_id", 50),
    _str("subject", 200, nullable=False),
    _text("description", nullable=False),
    _str("case_type", 50),
    _str("case_category", 50),
    _str("priority", 20, default="medium"),
    _str("case_status", 30, default="new"),
    _int("sla_response_hours"),
    _int("sla_resolution_hours"),
    _ts("response_due_date"),
    _ts("resolution_due_date"),
    _ts("first_response_date"),
    _ts("resolved_date"),
    _ts("closed_date"),
    _bool("sla_violated", default=False),
    _str("assigned_to", 50),
    _str("assigned_team", 50),
    _bool("escalated", default=False),
    _str("escalated_to", 50),
    _ts("escalated_at"),
    _text("resolution"),
    _str("root_cause", 200),
    _str("related_product", 200),
    _str("related_order_id", 50),
    _int("satisfaction_rating"),
    _text("customer_feedback"),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=("created_at", "account_id"),
)

case_comments = _read_table(
    "case_comments",
    _pk("comment_id"),
    _str("case_id", 50, nullable=False),
    _text("comment_text", nullable=False),
    _bool("is_public", default=True),
    _str("created_by", 50),
    _ts("created_at"),
    index=("case_id",),
)

contracts = _read_table(
    "contracts",
    _pk("contract_id"),
    _str("contract_number", 50, unique=True, nullable=False),
    _str("contract_name", 200, nullable=False),
    _str("account_id", 50, nullable=False),
    _str("contract_type", 50),
    _date("contract_start_date", nullable=False),
    _date("contract_end_date", nullable=False),
    _int("contract_term_months"),
    _str("contract_status", 30, default="draft"),
    _date("signed_date"),
    _dec("contract_value", 18, 2, nullable=False),
    _str("billing_frequency", 30),
    _bool("auto_renewal", default=False),
    _int("renewal_term_months"),
    _int("renewal_notice_days", default=60),
    _date("renewal_date"),
    _int("termination_notice_days"),
    _dec("early_termination_penalty", 15, 2),
    _str("payment_terms", 50),
    _text("service_level_agreement"),
    _text("special_terms"),
    _str("contract_owner", 50),
    _str("contract_document_url", 500),
    _str("parent_contract_id", 50),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=("account_id",),
)

sales_reps = _read_table(
    "sales_reps",
    _pk("sales_rep_id"),
    _str("employee_id", 50),
    _str("rep_code", 50, unique=True, nullable=False),
    _str("first_name", 100, nullable=False),
    _str("last_name", 100, nullable=False),
    _str("email", 100),
    _str("phone", 50),
    _str("mobile", 50),
    _str("sales_role", 50),
    _str("job_title", 100),
    _str("territory_id", 50),
    _str("manager_id", 50),
    _dec("annual_quota", 18, 2),
    _dec("quarterly_quota", 18, 2),
    _dec("ytd_revenue", 18, 2, default=0),
    _int("ytd_deals_closed", default=0),
    _dec("win_rate_pct", 5, 2),
    _dec("avg_deal_size", 15, 2),
    _str("rep_status", 30, default="active"),
    _date("hire_date"),
    _bool("is_active", default=True),
    _ts("created_at"),
    _ts("updated_at"),
)

sales_territories = _read_table(
    "sales_territories",
    _pk("territory_id"),
    _str("territory_code", 50, unique=True, nullable=False),
    _str("territory_name", 200, nullable=False),
    _text("countries"),
    _text("states"),
    _text("cities"),
    _text("industries"),
    _text("account_tiers"),
    _text("company_size"),
    _dec("territory_quota", 18, 2),
    _str("territory_manager", 50),
    _bool("is_active", default=True),
    _ts("created_at"),
)

sales_forecasts = _read_table(
    "sales_forecasts",
    _pk("forecast_id"),
    _str("forecast_period", 20),
    _int("forecast_year", nullable=False),
    _int("forecast_quarter"),
    _int("forecast_month"),
    _str("territory_id", 50),
    _str("sales_rep_id", 50),
    _dec("pipeline_amount", 18, 2, default=0),
    _dec("best_case_amount", 18, 2, default=0),
    _dec("commit_amount", 18, 2, default=0),
    _dec("closed_amount", 18, 2, default=0),
    _dec("total_forecast", 18, 2, default=0),
    _dec("quota_amount", 18, 2),
    _dec("quota_attainment_pct", 5, 2),
    _dec("actual_revenue", 18, 2, default=0),
    _dec("forecast_accuracy_pct", 5, 2),
    _date("snapshot_date", nullable=False),
    _ts("created_at"),
    index=("forecast_period", "sales_rep_id"),
)

customer_interactions = _read_table(
    "customer_interactions",
    _pk("interaction_id"),
    _str("account_id", 50),
    _str("contact_id", 50),
    _str("opportunity_id", 50),
    _str("case_id", 50),
    _str("interaction_type", 50),
    _ts("interaction_date", nullable=False),
    _str("subject", 200),
    _text("description"),
    _str("direction", 20),
    _int("duration_minutes"),
    _str("sentiment", 20),
    _str("performed_by", 50),
    _ts("created_at"),
    index=("account_id",),
)

notes = _read_table(
    "notes",
    _pk("note_id"),
    _str("related_to_type", 30),
    _str("related_to_id", 50),
    _str("title", 200),
    _text("note_text", nullable=False),
    _bool("is_private", default=False),
    _str("created_by", 50),
    _ts("created_at"),
    _ts("updated_at"),
    index=(("related_to_type", "related_to_id"),),
)

crm_integration_log = _read_table(
    "crm_integration_log",
    _pk("log_id"),
    _ts("log_timestamp"),
    _str("integration_direction", 20),
    _str("document_type", 50),
    _str("document_id", 50),
    _str("integration_status", 30),
    _text("error_message"),
    _jsonb("integration_data"),
    _int("retry_count", default=0),
    _ts("last_retry_at"),
    index=(("document_type", "document_id"),),
)

account_team_members = _read_table(
    "account_team_members",
    _pk("team_member_id"),
    _str("account_id", 50, nullable=False),
    _str("sales_rep_id", 50, nullable=False),
    _str("team_role", 30),
    _str("access_level", 20),
    _date("start_date"),
    _date("end_date"),
    _bool("is_active", default=True),
    _ts("created_at"),
    _ts("updated_at"),
    index=("account_id", "sales_rep_id"),
)

quotation_approvals = _read_table(
    "quotation_approvals",
    _pk("approval_id"),
    _str("quotation_id", 50, nullable=False),
    _int("approval_level"),
    _str("approver_id", 50),
    _str("approval_reason", 200),
    _dec("discount_pct", 5, 2),
    _dec("total_amount", 15, 2),
    _str("decision", 20, default="pending"),
    _ts("requested_at"),
    _ts("decided_at"),
    _text("comments"),
    index=("quotation_id",),
)

campaign_variants = _read_table(
    "campaign_variants",
    _pk("variant_id"),
    _str("campaign_id", 50, nullable=False),
    _str("variant_code", 10),
    _str("variant_name", 200),
    _text("content_description"),
    _int("members_sent", default=0),
    _int("opened", default=0),
    _int("clicked", default=0),
    _int("responded", default=0),
    _int("leads_created", default=0),
    _dec("open_rate_pct", 5, 2),
    _dec("click_rate_pct", 5, 2),
    _dec("response_rate_pct", 5, 2),
    _bool("is_winner", default=False),
    _ts("created_at"),
    _ts("updated_at"),
    index=("campaign_id",),
)

READ_TABLES: tuple[str, ...] = tuple(TABLES)
"""The names of the 25 read tables, in the order of read-model.md."""

# --------------------------------------------------------------------------------------
# crm_meta: bookkeeping, not CRM data.
# --------------------------------------------------------------------------------------

projector_offsets = Table(
    "projector_offsets",
    metadata,
    Column("consumer_group", Text(), primary_key=True),
    Column("topic", Text(), primary_key=True),
    Column("partition", Integer(), primary_key=True),
    Column("next_offset", BigInteger(), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    schema=META_SCHEMA,
    comment="Next Kafka offset per consumer group/topic/partition, committed with the rows.",
)

META_TABLES: dict[str, Table] = {"projector_offsets": projector_offsets}
"""The `crm_meta` bookkeeping tables by name (Alembic's version table is managed by Alembic)."""

# --------------------------------------------------------------------------------------
# Read-model extensions: tables beyond the 25-table contract, each in a schema of its own
# so the default schema keeps exactly the 25 (docs/read-model-extensions.md). They are
# declared on their own MetaData, so the contract's checks of `metadata` are unchanged;
# they are projected, rebuilt, truncated, counted and checksummed like the 25.
# --------------------------------------------------------------------------------------

FORECASTING_SCHEMA = "crm_forecasting"
"""Schema of the forecast snapshots; on the database's default search_path (0002)."""

extension_metadata = MetaData(naming_convention=metadata.naming_convention)

EXTENSION_TABLES: dict[str, Table] = {}
"""Read tables beyond the contract, by (unqualified) name."""


def _extension_table(name: str, schema: str, *columns: Column,
                     index: tuple[_IndexSpec, ...] = ()) -> Table:
    table = Table(
        name, extension_metadata, *columns,
        Column(VERSION_COLUMN, BigInteger(), nullable=False, server_default=text("0"),
               info={"contract": False}),
        schema=schema,
    )
    for spec in index:
        cols = (spec,) if isinstance(spec, str) else spec
        Index(f"ix_{name}_{'_'.join(cols)}", *(table.c[c] for c in cols))
    EXTENSION_TABLES[name] = table
    return table


sales_forecast_snapshots = _extension_table(
    "sales_forecast_snapshots",
    FORECASTING_SCHEMA,
    Column("snapshot_id", String(64), primary_key=True),
    _str("forecast_id", 50, nullable=False),
    _str("forecast_period", 20),
    _int("forecast_year", nullable=False),
    _int("forecast_quarter"),
    _int("forecast_month"),
    _str("territory_id", 50),
    _str("sales_rep_id", 50),
    _dec("pipeline_amount", 18, 2, default=0),
    _dec("best_case_amount", 18, 2, default=0),
    _dec("commit_amount", 18, 2, default=0),
    _dec("closed_amount", 18, 2, default=0),
    _dec("total_forecast", 18, 2, default=0),
    _dec("expected_amount", 18, 2),
    _dec("forecast_call", 18, 2),
    _dec("quota_amount", 18, 2),
    _dec("quota_attainment_pct", 5, 2),
    _dec("forecast_accuracy_pct", 5, 2),
    _bool("period_closed", default=False),
    _date("snapshot_date", nullable=False),
    _ts("created_at"),
    index=("forecast_id", ("forecast_year", "forecast_quarter")),
)

HISTORY_SCHEMA = "crm_history"
"""Schema of the field history (0003): every change of a read-table column, by event."""

field_history = _extension_table(
    "field_history",
    HISTORY_SCHEMA,
    Column("event_id", String(64), primary_key=True),
    Column("table_name", String(63), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("column_name", String(63), primary_key=True),
    _text("old_value"),
    _text("new_value"),
    _ts("changed_at", nullable=False),
    _str("event_type", 100, nullable=False),
    _str("aggregate_type", 50),
    _str("aggregate_id", 50),
    _str("command_id", 64),
    _str("actor", 50),
    index=("record_id", "aggregate_id", ("table_name", "changed_at")),
)

PROJECTED_TABLES: dict[str, Table] = {**TABLES, **EXTENSION_TABLES}
"""Every table the projectors write: the 25 read tables, then the extensions."""


@cache
def key_column(table: str) -> str:
    """The one key column of a projected table (every one has a single-column key)."""
    (name,) = [c.name for c in PROJECTED_TABLES[table].primary_key.columns]
    return name
