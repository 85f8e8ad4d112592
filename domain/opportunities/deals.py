"""Opportunities: opening a deal (by a rep, a converted lead or a renewal), the open-deal
check every change makes, the link to its primary quote, competitors and win reasons.

Amount and close-date changes, product lines included, are in
`domain.opportunities.terms`; stage moves and closing in `domain.opportunities.stages`;
the pure figures (probability and forecast category per stage, weighted revenue) in
`domain.opportunities.figures`; the messages in `domain.opportunities.messages`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from domain.campaigns.lifecycle import record_campaign_outcome
from domain.kernel.context import Context, Rejected, require
from domain.kernel.messages import money
from domain.kernel.rulebook import handles
from domain.opportunities.entities import Opportunity
from domain.opportunities.figures import (
    expected_revenue,
    forecast_category_for,
    margin_pct,
    stage_probability,
)
from domain.opportunities.messages import (
    WIN_REASONS,
    NoteOpportunityCompetitor,
    OpenOpportunity,
    OpportunityCompetitorNoted,
    OpportunityCreated,
    OpportunityQuoted,
    OpportunityType,
    OpportunityWinReasonRecorded,
    RecordWinReason,
)

OPEN_STAGES: tuple[str, ...] = ("prospecting", "qualification", "needs_analysis", "proposal",
                                "negotiation")


# ---------------------------------------------------------------------------- decide

def open_opportunity(
    ctx: Context,
    opportunity_id: str,
    *,
    opportunity_name: str,
    account_id: str,
    amount: Decimal,
    close_date: date,
    opportunity_owner: str | None = None,
    primary_contact_id: str | None = None,
    lead_source: str | None = None,
    source_lead_id: str | None = None,
    source_campaign_id: str | None = None,
    opportunity_type: str = "new_business",
    product_category: str | None = None,
    created_by: str | None = None,
    budget_confirmed: bool = False,
    budget_amount: Decimal | None = None,
    decision_maker_identified: bool = False,
    customer_timeline: str | None = None,
    customer_requirements: str | None = None,
    original_created_at: datetime | None = None,
    cost_estimate: Decimal | None = None,
    next_step: str | None = None,
    next_step_date: date | None = None,
) -> None:
    """Emit OpportunityCreated (prospecting, probability 10, pipeline) and credit the campaign.

    `original_created_at` (a deal migrated from a previous system) becomes the deal's
    creation time, like Salesforce's "Set Audit Fields upon Record Creation"; it may not
    lie in the future. Raises Rejected when the id is taken or the values break the
    column rules.
    """
    if ctx.get("opportunity", opportunity_id) is not None:
        raise Rejected(f"opportunity {opportunity_id} already exists")
    if original_created_at is not None and original_created_at > ctx.now:
        raise Rejected(f"opportunity {opportunity_id}: original_created_at "
                       f"{original_created_at:%Y-%m-%d %H:%M} is in the future")
    if opportunity_type not in OpportunityType.__args__:  # type: ignore[attr-defined]
        raise Rejected(f"unknown opportunity_type {opportunity_type!r}")
    if amount < 0:
        raise Rejected("opportunity amount must not be negative")
    if cost_estimate is not None and cost_estimate < 0:
        raise Rejected("opportunity cost_estimate must not be negative")
    rules = ctx.rules.opportunities
    probability = stage_probability("prospecting", rules)
    try:
        _emit_created(ctx, opportunity_id, probability, dict(
            opportunity_name=opportunity_name, account_id=account_id,
            primary_contact_id=primary_contact_id, lead_source=lead_source,
            source_lead_id=source_lead_id, source_campaign_id=source_campaign_id,
            opportunity_type=opportunity_type, product_category=product_category,
            amount=money(amount), close_date=close_date, opportunity_owner=opportunity_owner,
            created_by=created_by, budget_confirmed=budget_confirmed,
            budget_amount=None if budget_amount is None else money(budget_amount),
            decision_maker_identified=decision_maker_identified,
            customer_timeline=customer_timeline, customer_requirements=customer_requirements,
            original_created_at=original_created_at,
            cost_estimate=None if cost_estimate is None else money(cost_estimate),
            next_step=next_step, next_step_date=next_step_date))
    except ValidationError as bad:  # callers in other areas pass plain values
        raise Rejected(f"opportunity {opportunity_id}: {bad.errors()[0]['msg']}") from None
    if source_campaign_id:
        record_campaign_outcome(ctx, source_campaign_id, opportunity_created=True)


def _emit_created(ctx: Context, opportunity_id: str, probability: int,
                  fields: dict[str, Any]) -> None:
    rules = ctx.rules.opportunities
    ctx.emit(
        OpportunityCreated, opportunity_id,
        opportunity_number=ctx.next_number("OPP"), **fields, stage="prospecting",
        probability_pct=probability, forecast_category=forecast_category_for(probability, rules),
        expected_revenue=expected_revenue(fields["amount"], probability),
        history_id=ctx.new_id("OSH", opportunity_id),
        margin_pct=margin_pct(fields["amount"], fields.get("cost_estimate")),
    )


def open_deal(ctx: Context, opportunity_id: str) -> Opportunity:
    """The opportunity, refusing unknown or closed ones (every change needs an open deal)."""
    opp: Opportunity = require(ctx, "opportunity", opportunity_id, "unknown {aggregate} {id}")
    if opp.is_closed:
        raise Rejected(f"opportunity {opportunity_id} is closed ({opp.stage})")
    return opp


def link_quote(ctx: Context, opportunity_id: str, quotation_id: str) -> None:
    """Record the opportunity's latest quote (converted_to_quote_id)."""
    ctx.emit(OpportunityQuoted, opportunity_id, converted_to_quote_id=quotation_id)


@handles(OpenOpportunity)
def handle_open(ctx: Context, cmd: OpenOpportunity) -> None:
    """Open an opportunity from the command's facts."""
    open_opportunity(ctx, cmd.aggregate_id, **cmd.payload())


@handles(NoteOpportunityCompetitor)
def note_competitor(ctx: Context, cmd: NoteOpportunityCompetitor) -> None:
    """Add the competitor once (case-insensitive) and update our position."""
    opp = open_deal(ctx, cmd.aggregate_id)
    name = cmd.competitor_name.strip()
    if not name:
        raise Rejected("competitor_name is empty")
    known = {c.casefold() for c in opp.competitors}
    competitors = list(opp.competitors) + ([] if name.casefold() in known else [name])
    ctx.emit(OpportunityCompetitorNoted, opp.opportunity_id, competitors=competitors,
             competitive_position=cmd.competitive_position)


@handles(RecordWinReason)
def record_win_reason(ctx: Context, cmd: RecordWinReason) -> None:
    """The owner records why the customer chose us, from the win-reason picklist.

    A restricted picklist, as Salesforce's Win/Loss Reason: other values are refused. Only
    an open deal takes it (a closed deal's reason is history); the same reason and notes
    again change nothing. The close (the ERP's order) carries the recorded reason.
    """
    opp = open_deal(ctx, cmd.aggregate_id)
    if cmd.win_loss_reason not in WIN_REASONS:
        raise Rejected(f"win_loss_reason {cmd.win_loss_reason!r} is not one of "
                       f"{', '.join(WIN_REASONS)}")
    if (opp.win_reason, opp.win_notes) == (cmd.win_loss_reason, cmd.win_loss_notes):
        return
    ctx.emit(OpportunityWinReasonRecorded, opp.opportunity_id, **cmd.payload())
