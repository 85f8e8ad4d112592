"""Opportunity commands and events (rules in domain.opportunities and
domain.opportunity_stages, which re-export these)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.messages import (
    Command,
    Date,
    Doc,
    Event,
    Money,
    Opt,
    Percent,
    Quantity,
    Text,
    Timestamp,
    UnitPrice,
)

OpportunityType = Literal["new_business", "existing_customer", "renewal", "upsell"]
Stage = Literal["prospecting", "qualification", "needs_analysis", "proposal", "negotiation",
                "closed_won", "closed_lost"]
ForecastCategory = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
CompetitivePosition = Literal["leading", "competitive", "behind"]


class OpportunityFields(BaseModel):
    """The facts an opportunity is opened with (shared by the command and the event)."""

    opportunity_name: str = Text(200, "What is being sold to whom")
    account_id: str = Text(50, "Account the deal is with")
    primary_contact_id: str | None = Opt(50)
    lead_source: str | None = Opt(50)
    source_lead_id: str | None = Opt(50, "Lead this was converted from")
    source_campaign_id: str | None = Opt(50, "Campaign credited with the deal")
    opportunity_type: OpportunityType = "new_business"
    product_category: str | None = Opt(100)
    amount: Money = Doc("Deal value, INR", ge=0)
    close_date: Date = Doc("Expected close date")
    opportunity_owner: str | None = Opt(50, "Sales rep who owns the deal")
    created_by: str | None = Opt(50)
    # BANT as known when the deal opens (a converted lead's answers; see lead_conversion)
    budget_confirmed: bool = Field(default=False, description="BANT budget: the buyer has one")
    budget_amount: Money | None = Opt(description="The buyer's budget, INR, when confirmed")
    decision_maker_identified: bool = Field(
        default=False, description="BANT authority: we deal with the decision maker")
    customer_timeline: str | None = Opt(100, "BANT timeline: when the buyer means to decide")
    customer_requirements: str | None = Opt(description="BANT need: what the buyer needs")
    # Salesforce's "Set Audit Fields upon Record Creation": a record migrated from a previous
    # system keeps its original CreatedDate (domain.opportunities; docs/rules.md).
    original_created_at: Timestamp | None = Opt(
        description="When the deal was opened in a previous system (migration); "
        "None: created now")


class OpenOpportunity(Command, OpportunityFields):
    """Open a new opportunity (outside lead conversion, e.g. an upsell)."""

    AGGREGATE = "opportunity"


class OpportunityCreated(Event, OpportunityFields):
    """A new opportunity in stage prospecting; also its first stage-history row."""

    AGGREGATE = "opportunity"

    opportunity_number: str = Text(50, "OPP-000001")
    stage: Stage = "prospecting"
    probability_pct: int = Doc("0-100", ge=0, le=100)
    forecast_category: ForecastCategory
    expected_revenue: Money = Doc("amount * probability / 100")
    history_id: str = Text(50, "Id of the first opportunity_stage_history row")


class HistoryFields(BaseModel):
    """The opportunity_stage_history row of an amount or close-date change.

    All default to None: events written before these rows existed carry none, and an
    event that changed nothing (e.g. a zero-value product line) writes no row.
    """

    history_id: str | None = Opt(50, "opportunity_stage_history row, when one is written")
    stage: Stage | None = Field(default=None, description="Stage the deal is in (unchanged)")
    probability_pct: int | None = Field(default=None, ge=0, le=100, description="0-100")
    from_amount: Money | None = Opt(description="Amount before the change")
    from_close_date: Date | None = Field(default=None, description="Close date before")
    changed_by: str | None = Opt(50)
    change_reason: str | None = Opt(description="What changed, e.g. 'Close date +41 days'")


class ProductLineFields(BaseModel):
    """A product line as the sales rep enters it."""

    material_id: str | None = Opt(50, "Material (ERP master data)")
    product_name: str = Text(200)
    product_description: str | None = Opt()
    quantity: Quantity = Doc("Quantity", gt=0)
    unit_of_measure: str | None = Opt(20)
    list_price: UnitPrice = Doc("List price per unit, INR", ge=0)
    discount_pct: Percent = Field(default=Decimal("0"), ge=0, le=100)
    required_date: Date | None = None


class AddOpportunityProduct(Command, ProductLineFields):
    """Add a product line to an open opportunity."""

    AGGREGATE = "opportunity"


class OpportunityProductAdded(Event, ProductLineFields, HistoryFields):
    """A product line was added; the deal amount now follows the sum of line totals."""

    AGGREGATE = "opportunity"

    opp_product_id: str = Text(50)
    line_number: int = Doc("1, 2, ...", ge=1)
    unit_price: UnitPrice = Doc("After discount")
    line_total: Money = Doc("quantity * unit_price")
    amount: Money = Doc("New deal amount")
    expected_revenue: Money = Doc("New weighted amount")


class ChangeOpportunityTerms(Command):
    """Change the amount and/or the expected close date of an open opportunity."""

    AGGREGATE = "opportunity"

    amount: Money | None = Opt(description="New amount (refused when products set it)")
    close_date: Date | None = None
    changed_by: str | None = Opt(50)
    change_reason: str | None = Opt(description="Why (default: what changed, by how much)")


class OpportunityTermsChanged(Event, HistoryFields):
    """Amount and close date now (absolute values), and the history row of the change."""

    AGGREGATE = "opportunity"

    amount: Money
    close_date: Date
    expected_revenue: Money


class NoteOpportunityCompetitor(Command):
    """Record a competitor in the deal and where we stand against the field."""

    AGGREGATE = "opportunity"

    competitor_name: str = Text(200)
    competitive_position: CompetitivePosition | None = None


class OpportunityCompetitorNoted(Event):
    """The competitor list (absolute) and our competitive position."""

    AGGREGATE = "opportunity"

    competitors: list[str] = Doc("Every competitor named so far, in order")
    competitive_position: CompetitivePosition | None = None


class OpportunityQuoted(Event):
    """A quotation was drafted for the opportunity (its latest quote)."""

    AGGREGATE = "opportunity"

    converted_to_quote_id: str = Text(50)
