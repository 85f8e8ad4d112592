"""Opportunity commands and events (rules in domain.opportunities.deals and
domain.opportunities.stages, which re-export these)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import (
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
    # system keeps its original CreatedDate (domain.opportunities.deals; docs/rules.md).
    original_created_at: Timestamp | None = Opt(
        description="When the deal was opened in a previous system (migration); "
        "None: created now")
    # What a rep keeps on a real deal (issue 14 point 10): the cost to deliver it and the
    # next agreed action. All optional: older events and callers carry none.
    cost_estimate: Money | None = Opt(description="Estimated cost to deliver the deal, INR")
    next_step: str | None = Opt(200, "Next agreed action, e.g. 'Send revised drawing'")
    next_step_date: Date | None = Field(default=None, description="When the next step is due")


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
    margin_pct: Percent | None = Opt(
        description="(amount - cost_estimate) / amount * 100; None without a cost or amount")


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
    margin_pct: Percent | None = Opt(
        description="Margin on the new amount, when the deal has a cost estimate")


class ChangeOpportunityTerms(Command):
    """Change the amount and/or the expected close date of an open opportunity."""

    AGGREGATE = "opportunity"

    amount: Money | None = Opt(description="New amount (refused when products set it)")
    close_date: Date | None = None
    changed_by: str | None = Opt(50)
    change_reason: str | None = Opt(description="Why (default: what changed, by how much)")
    cost_estimate: Money | None = Opt(description="New cost estimate, INR")
    next_step: str | None = Opt(200, "New next step")
    next_step_date: Date | None = Field(default=None, description="When the next step is due")


class OpportunityTermsChanged(Event, HistoryFields):
    """Amount and close date now (absolute values), and the history row of the change.

    Cost estimate, margin and next step are the values now (None: never set)."""

    AGGREGATE = "opportunity"

    amount: Money
    close_date: Date
    expected_revenue: Money
    cost_estimate: Money | None = Opt(description="Cost estimate now, INR")
    margin_pct: Percent | None = Opt(
        description="(amount - cost_estimate) / amount * 100, 2 decimals")
    next_step: str | None = Opt(200, "Next step now")
    next_step_date: Date | None = Field(default=None, description="When the next step is due")


# The win-reason picklist a rep chooses from when the customer commits (Salesforce's
# "Win/Loss Reason", restricted picklist; docs/simulation.md gives the shares).
WIN_REASONS: tuple[str, ...] = ("Price", "Product fit", "Relationship", "Delivery lead time",
                                "Service and support", "Incumbent supplier", "Quality")


class RecordWinReason(Command):
    """The owner records why the customer chose us (before the order closes the deal)."""

    AGGREGATE = "opportunity"

    win_loss_reason: str = Text(200, "One of the win-reason picklist values (WIN_REASONS)")
    win_loss_notes: str | None = Opt(description="What decided it, in the rep's words")
    recorded_by: str | None = Opt(50)


class OpportunityWinReasonRecorded(Event):
    """Why the deal is being won, as the owner recorded it; the close carries it."""

    AGGREGATE = "opportunity"

    win_loss_reason: str = Text(200, "A WIN_REASONS value")
    win_loss_notes: str | None = Opt()
    recorded_by: str | None = Opt(50)


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


class ChangeOpportunityStage(Command):
    """Move an opportunity to another stage; closing lost takes a reason."""

    AGGREGATE = "opportunity"

    to_stage: Stage
    change_reason: str | None = Opt(description="Why the stage changed")
    changed_by: str | None = Opt(50)
    win_loss_reason: str | None = Opt(200, "Why it was won or lost")
    lost_to_competitor: str | None = Opt(200)
    win_loss_notes: str | None = Opt()


class OpportunityStageChanged(Event):
    """A stage move: one opportunity_stage_history row and the new stage figures."""

    AGGREGATE = "opportunity"

    history_id: str = Text(50)
    from_stage: Stage
    to_stage: Stage
    from_amount: Money
    to_amount: Money
    from_probability: int = Doc("0-100", ge=0, le=100)
    to_probability: int = Doc("0-100", ge=0, le=100)
    from_close_date: Date
    to_close_date: Date
    change_reason: str | None = Opt()
    stage_duration_days: int = Doc("Whole days spent in from_stage", ge=0)
    changed_by: str | None = Opt(50)
    forecast_category: ForecastCategory
    expected_revenue: Money


class OpportunityWon(Event):
    """The deal closed won (by the ERP's sales order, or explicitly from negotiation)."""

    AGGREGATE = "opportunity"

    amount: Money = Doc("Final deal value (revenue credited to rep, account, campaign)")
    actual_close_date: Date
    closed_by: str | None = Opt(50)
    converted_to_order_id: str | None = Opt(50, "ERP sales order, when closed by one")
    win_loss_reason: str | None = Opt(200)
    win_loss_notes: str | None = Opt()


class OpportunityLost(Event):
    """The deal closed lost."""

    AGGREGATE = "opportunity"

    actual_close_date: Date
    closed_by: str | None = Opt(50)
    win_loss_reason: str | None = Opt(200)
    lost_to_competitor: str | None = Opt(200)
    win_loss_notes: str | None = Opt()
