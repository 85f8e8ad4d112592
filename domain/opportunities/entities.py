"""The opportunity as the rules see it: its product lines, and how its events evolve it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.kernel.records import updated
from domain.kernel.rulebook import evolves
from domain.opportunities.messages import (
    OpportunityCompetitorNoted,
    OpportunityCreated,
    OpportunityProductAdded,
    OpportunityQuoted,
    OpportunityTermsChanged,
    OpportunityWinReasonRecorded,
)

CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")

# ---------------------------------------------------------------------------- entity

@dataclass(frozen=True)
class ProductLine:
    """A priced product line (what a quote is generated from)."""

    line_number: int
    material_id: str | None
    product_name: str
    product_description: str | None
    quantity: Decimal
    unit_of_measure: str | None
    list_price: Decimal
    discount_pct: Decimal
    unit_price: Decimal
    line_total: Decimal
    required_date: date | None


@dataclass(frozen=True)
class Opportunity:
    """What the rules need to know about an opportunity."""

    opportunity_id: str
    opportunity_number: str
    opportunity_name: str
    account_id: str
    owner: str | None
    primary_contact_id: str | None
    source_campaign_id: str | None
    product_category: str | None
    amount: Decimal
    close_date: date
    stage: str
    probability: int
    forecast_category: str
    stage_entered_at: datetime
    created_at: datetime  # the original creation of a migrated deal, else the event's time
    products: tuple[ProductLine, ...] = ()
    competitors: tuple[str, ...] = ()
    quote_id: str | None = None
    actual_close_date: date | None = None
    order_id: str | None = None
    cost_estimate: Decimal | None = None
    next_step: str | None = None
    next_step_date: date | None = None
    win_reason: str | None = None  # recorded by the owner; the close carries it
    win_notes: str | None = None

    @property
    def is_closed(self) -> bool:
        """Won or lost: nothing leaves a closed stage."""
        return self.stage in CLOSED_STAGES


# ---------------------------------------------------------------------------- evolve

@evolves(OpportunityCreated)
def _created(_: Opportunity | None, e: OpportunityCreated) -> Opportunity:
    return Opportunity(
        e.aggregate_id, e.opportunity_number, e.opportunity_name, e.account_id,
        e.opportunity_owner, e.primary_contact_id, e.source_campaign_id, e.product_category,
        e.amount, e.close_date, e.stage, e.probability_pct, e.forecast_category,
        stage_entered_at=e.occurred_at, created_at=e.original_created_at or e.occurred_at,
        cost_estimate=e.cost_estimate, next_step=e.next_step, next_step_date=e.next_step_date,
    )


@evolves(OpportunityProductAdded)
def _product_added(opp: Opportunity, e: OpportunityProductAdded) -> Opportunity:
    line = ProductLine(e.line_number, e.material_id, e.product_name, e.product_description,
                       e.quantity, e.unit_of_measure, e.list_price, e.discount_pct,
                       e.unit_price, e.line_total, e.required_date)
    return updated(opp, products=(*opp.products, line), amount=e.amount)


@evolves(OpportunityTermsChanged)
def _terms_changed(opp: Opportunity, e: OpportunityTermsChanged) -> Opportunity:
    # events from before these fields existed carry None: keep what the deal had
    return updated(opp, amount=e.amount, close_date=e.close_date,
                   cost_estimate=e.cost_estimate if e.cost_estimate is not None
                   else opp.cost_estimate,
                   next_step=e.next_step if e.next_step is not None else opp.next_step,
                   next_step_date=e.next_step_date if e.next_step_date is not None
                   else opp.next_step_date)


@evolves(OpportunityWinReasonRecorded)
def _win_reason(opp: Opportunity, e: OpportunityWinReasonRecorded) -> Opportunity:
    return updated(opp, win_reason=e.win_loss_reason, win_notes=e.win_loss_notes)


@evolves(OpportunityCompetitorNoted)
def _competitor_noted(opp: Opportunity, e: OpportunityCompetitorNoted) -> Opportunity:
    return updated(opp, competitors=tuple(e.competitors))


@evolves(OpportunityQuoted)
def _quoted(opp: Opportunity, e: OpportunityQuoted) -> Opportunity:
    return updated(opp, quote_id=e.converted_to_quote_id)
