"""An open deal's amount and close date: changed by a rep, or by its primary quote, each
change kept in the deal's history with its reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.kernel.context import Context, Rejected
from domain.kernel.messages import money
from domain.kernel.rulebook import handles
from domain.opportunities.deals import open_deal
from domain.opportunities.entities import Opportunity
from domain.opportunities.figures import (
    describe_change,
    expected_revenue,
    margin_pct,
    price_line,
)
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityTerms,
    OpportunityProductAdded,
    OpportunityTermsChanged,
)


def history_of_change(ctx: Context, opp: Opportunity, amount: Decimal, close_date: date, *,
                      changed_by: str | None = None, reason: str | None = None
                      ) -> dict[str, Any]:
    """The history fields of a change to `amount`/`close_date`; none when nothing changed.

    Every amount or close-date change is a row (like Salesforce's OpportunityHistory), in
    the stage the deal stays in, so slipped close dates and re-priced deals show.
    """
    if money(amount) == opp.amount and close_date == opp.close_date:
        return {}
    version = ctx.state.versions.get(("opportunity", opp.opportunity_id), 0) + 1
    return dict(
        history_id=ctx.new_id("OSH", f"{opp.opportunity_id}/v{version}"), stage=opp.stage,
        probability_pct=opp.probability, from_amount=opp.amount,
        from_close_date=opp.close_date, changed_by=changed_by,
        change_reason=reason or describe_change(opp.amount, money(amount), opp.close_date,
                                                close_date))


def change_opportunity_terms(ctx: Context, opportunity_id: str, *,
                             amount: Decimal | None = None, close_date: date | None = None,
                             changed_by: str | None = None, reason: str | None = None,
                             cost_estimate: Decimal | None = None,
                             next_step: str | None = None,
                             next_step_date: date | None = None) -> None:
    """Set an open deal's amount, close date, cost estimate and/or next step.

    The one way to emit OpportunityTermsChanged (also for a synced primary quote's amount):
    an amount or close-date change writes a stage-history row; the margin is recomputed
    from the amount and cost estimate now. A change that changes nothing emits nothing.
    """
    opp = open_deal(ctx, opportunity_id)
    new_amount = opp.amount if amount is None else money(amount)
    new_close = close_date or opp.close_date
    new_cost = opp.cost_estimate if cost_estimate is None else money(cost_estimate)
    new_step = opp.next_step if next_step is None else next_step
    new_step_date = opp.next_step_date if next_step_date is None else next_step_date
    history = history_of_change(ctx, opp, new_amount, new_close, changed_by=changed_by,
                                reason=reason)
    extras_changed = (new_cost, new_step, new_step_date) != (
        opp.cost_estimate, opp.next_step, opp.next_step_date)
    if history or extras_changed:
        ctx.emit(OpportunityTermsChanged, opp.opportunity_id, amount=new_amount,
                 close_date=new_close,
                 expected_revenue=expected_revenue(new_amount, opp.probability), **history,
                 cost_estimate=new_cost, margin_pct=margin_pct(new_amount, new_cost),
                 next_step=new_step, next_step_date=new_step_date)


@handles(ChangeOpportunityTerms)
def change_terms(ctx: Context, cmd: ChangeOpportunityTerms) -> None:
    """New amount and/or close date (a history row); with product lines the amount is
    theirs to set. Values equal to the current ones change nothing."""
    opp = open_deal(ctx, cmd.aggregate_id)
    if (cmd.amount, cmd.close_date, cmd.cost_estimate, cmd.next_step,
            cmd.next_step_date) == (None,) * 5:
        raise Rejected("nothing to change: give an amount, close date, cost or next step")
    if cmd.amount is not None and opp.products:
        raise Rejected(f"opportunity {opp.opportunity_id} amount follows its product lines")
    if cmd.amount is not None and cmd.amount < 0:
        raise Rejected("opportunity amount must not be negative")
    if cmd.cost_estimate is not None and cmd.cost_estimate < 0:
        raise Rejected("opportunity cost_estimate must not be negative")
    change_opportunity_terms(ctx, opp.opportunity_id, amount=cmd.amount,
                             close_date=cmd.close_date, changed_by=cmd.changed_by,
                             reason=cmd.change_reason, cost_estimate=cmd.cost_estimate,
                             next_step=cmd.next_step, next_step_date=cmd.next_step_date)


@handles(AddOpportunityProduct)
def add_product(ctx: Context, cmd: AddOpportunityProduct) -> None:
    """Price the line; the amount becomes the sum of all line totals."""
    opp = open_deal(ctx, cmd.aggregate_id)
    unit, total = price_line(cmd.quantity, cmd.list_price, cmd.discount_pct)
    line_number = len(opp.products) + 1
    amount = sum((p.line_total for p in opp.products), total)
    history = history_of_change(ctx, opp, amount, opp.close_date,
                                reason=f"Product line {line_number} added")
    ctx.emit(OpportunityProductAdded, opp.opportunity_id, **cmd.payload(),
             opp_product_id=ctx.new_id("OPL", f"{opp.opportunity_id}/{line_number}"),
             line_number=line_number, unit_price=unit, line_total=total, amount=amount,
             expected_revenue=expected_revenue(amount, opp.probability),
             margin_pct=margin_pct(amount, opp.cost_estimate), **history)
