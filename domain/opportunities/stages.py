"""Opportunity stage moves, closing won or lost, and what a close credits.

Legal moves: any open stage to any other open stage (forward or backward), any open
stage to closed_lost, negotiation to closed_won (the ERP loop closes won from any open
stage through `close_won`); nothing leaves closed_won or closed_lost. Every move is one
opportunity_stage_history row with the whole days spent in the previous stage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.accounts.entities import get_account
from domain.accounts.revenue import record_account_revenue
from domain.campaigns.lifecycle import record_campaign_outcome
from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles, indexes
from domain.kernel.state import CrmState
from domain.opportunities.deals import OPEN_STAGES, open_deal
from domain.opportunities.entities import Opportunity
from domain.opportunities.figures import (
    expected_revenue,
    stage_forecast_category,
    stage_probability,
)
from domain.opportunities.messages import (
    ChangeOpportunityStage,
    OpportunityCreated,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityWon,
)
from domain.quotes.drafting import generate_quote
from domain.sales_org.org_chart import get_rep
from domain.sales_org.performance import record_rep_deal

_BY_ACCOUNT = "opportunities_by_account"  # account -> its opportunities, in creation order


def stage_move_refusal(current: str, target: str) -> str | None:
    """Why moving from `current` to `target` is not allowed, or None when it is."""
    if current not in OPEN_STAGES:
        return f"is closed ({current})"
    if target == current:
        return f"is already in stage {current}"
    if target == "closed_won" and current != "negotiation":
        return "can close won only from negotiation or through the ERP's sales order"
    return None


def days_in_stage(entered_at: datetime, now: datetime) -> int:
    """Whole days (floor) between entering a stage and leaving it, in event time."""
    return max(0, (now - entered_at).days)


def move_stage(ctx: Context, opp: Opportunity, to_stage: str, *, reason: str | None = None,
               changed_by: str | None = None, amount: Decimal | None = None) -> None:
    """Emit the stage change (history row); `amount` replaces the amount (won by order)."""
    rules = ctx.rules.opportunities
    probability = stage_probability(to_stage, rules)
    new_amount = opp.amount if amount is None else amount
    ctx.emit(
        OpportunityStageChanged, opp.opportunity_id,
        history_id=ctx.new_id("OSH", f"{opp.opportunity_id}/{to_stage}"),
        from_stage=opp.stage, to_stage=to_stage, from_amount=opp.amount, to_amount=new_amount,
        from_probability=opp.probability, to_probability=probability,
        from_close_date=opp.close_date, to_close_date=opp.close_date, change_reason=reason,
        stage_duration_days=days_in_stage(opp.stage_entered_at, ctx.now),
        changed_by=changed_by, forecast_category=stage_forecast_category(to_stage, rules),
        expected_revenue=expected_revenue(new_amount, probability),
    )


def close_won(ctx: Context, opportunity_id: str, *, amount: Decimal | None = None,
              order_id: str | None = None, closed_by: str | None = None,
              reason: str | None = None, notes: str | None = None,
              on: date | None = None) -> None:
    """Close an open opportunity won and credit the owner's and the campaign's revenue.

    `reason` is what moved the stage (the stage-history row); the win reason is the one
    the owner recorded (RecordWinReason), else `reason`; likewise the notes.
    """
    opp = open_deal(ctx, opportunity_id)
    final = opp.amount if amount is None else amount
    move_stage(ctx, opp, "closed_won", reason=reason, changed_by=closed_by, amount=final)
    ctx.emit(OpportunityWon, opportunity_id, amount=final,
             actual_close_date=on or ctx.now.date(), closed_by=closed_by,
             converted_to_order_id=order_id, win_loss_reason=opp.win_reason or reason,
             win_loss_notes=notes or opp.win_notes)
    _credit(ctx, opp, final, won=True, on=on or ctx.now.date())


def close_lost(ctx: Context, opp: Opportunity, *, reason: str | None, changed_by: str | None,
               win_loss_reason: str | None, competitor: str | None = None,
               notes: str | None = None) -> None:
    """Close an open opportunity lost and count the loss on the owner's record."""
    move_stage(ctx, opp, "closed_lost", reason=reason, changed_by=changed_by)
    ctx.emit(OpportunityLost, opp.opportunity_id, actual_close_date=ctx.now.date(),
             closed_by=changed_by, win_loss_reason=win_loss_reason,
             lost_to_competitor=competitor, win_loss_notes=notes)
    _credit(ctx, opp, opp.amount, won=False, on=ctx.now.date())


def account_opportunities(state: CrmState, account_id: str) -> list[Opportunity]:
    """The account's opportunities, in the order they were created."""
    return [state.get("opportunity", i) for i in state.view(_BY_ACCOUNT).get(account_id, ())]


def close_for_churn(ctx: Context, account_id: str, reason: str | None) -> None:
    """The account churned: its open opportunities (renewals included) are closed lost.

    A deal whose quote the customer has accepted stays open: the order is with the ERP,
    and the ERP's answer closes it.
    """
    for opp in account_opportunities(ctx.state, account_id):
        quote = ctx.get("quote", opp.quote_id) if opp.quote_id else None
        if opp.is_closed or (quote is not None and quote.status == "accepted"):
            continue
        close_lost(ctx, opp, reason=_short(f"Account churned: {reason}" if reason
                                           else "Account churned"),
                   changed_by=None, win_loss_reason="Account churned", notes=reason)


def _credit(ctx: Context, opp: Opportunity, amount: Decimal, *, won: bool, on: date) -> None:
    # The rep, campaign and account rows are their areas' own; those emit the absolute
    # figures. A won deal is the account's revenue whether the ERP or a rep closed it,
    # exactly once.
    if opp.owner and get_rep(ctx.state, opp.owner) is not None:
        record_rep_deal(ctx, opp.owner, amount, won)
    if won and opp.source_campaign_id:
        record_campaign_outcome(ctx, opp.source_campaign_id, deal_won_amount=amount)
    if won and amount > 0 and get_account(ctx.state, opp.account_id) is not None:
        record_account_revenue(ctx, opp.account_id, amount, on)


@handles(ChangeOpportunityStage)
def change_stage(ctx: Context, cmd: ChangeOpportunityStage) -> None:
    """Check the move, record it; proposal generates a quote, closed stages close."""
    opp: Opportunity = require(ctx, "opportunity", cmd.aggregate_id, "unknown {aggregate} {id}")
    refusal = stage_move_refusal(opp.stage, cmd.to_stage)
    if refusal:
        raise Rejected(f"opportunity {opp.opportunity_id} {refusal}")
    if cmd.to_stage == "closed_won":
        close_won(ctx, opp.opportunity_id, closed_by=cmd.changed_by,
                  reason=cmd.win_loss_reason or cmd.change_reason, notes=cmd.win_loss_notes)
        return
    if cmd.to_stage == "closed_lost":
        close_lost(ctx, opp, reason=cmd.change_reason, changed_by=cmd.changed_by,
                   win_loss_reason=cmd.win_loss_reason or _short(cmd.change_reason),
                   competitor=cmd.lost_to_competitor, notes=cmd.win_loss_notes)
        return
    move_stage(ctx, opp, cmd.to_stage, reason=cmd.change_reason, changed_by=cmd.changed_by)
    if cmd.to_stage == "proposal":
        generate_quote(ctx, opp.opportunity_id, prepared_by=cmd.changed_by)


def _short(text: str | None) -> str | None:
    return None if text is None else text[:200]


@indexes(OpportunityCreated)
def _index_by_account(state: CrmState, e: OpportunityCreated) -> None:
    ids: list[str] = state.view(_BY_ACCOUNT).setdefault(e.account_id, [])
    if e.aggregate_id not in ids:
        ids.append(e.aggregate_id)


@evolves(OpportunityStageChanged)
def _stage_changed(opp: Opportunity, e: OpportunityStageChanged) -> Opportunity:
    return updated(opp, stage=e.to_stage, probability=e.to_probability, amount=e.to_amount,
                   forecast_category=e.forecast_category, stage_entered_at=e.occurred_at)


@evolves(OpportunityWon)
def _won(opp: Opportunity, e: OpportunityWon) -> Opportunity:
    return updated(opp, actual_close_date=e.actual_close_date, amount=e.amount,
                   order_id=e.converted_to_order_id)


@evolves(OpportunityLost)
def _lost(opp: Opportunity, e: OpportunityLost) -> Opportunity:
    return updated(opp, actual_close_date=e.actual_close_date)
