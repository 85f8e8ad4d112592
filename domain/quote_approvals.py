"""Threshold-based quote approvals: which levels a quote needs and deciding them in order.

Levels (design.md): discount above QuoteRules.manager_discount_pct needs level 1 (the
owner's sales manager); above director_discount_pct also level 2 (a director); a total
above vp_total_amount also level 3 (a VP). Discounts are compared at two decimals, the
precision stored on the quote: exactly 10.00 % needs nothing, 10.01 % needs a manager.
Steps are decided one at a time, lowest level first; one rejection rejects the quote's
approval (it stays draft; revise it to go on); all approved makes it sendable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from domain.core import Context, Rejected, evolves, handles
from domain.messages import Command, Doc, Event, Opt, Text
from domain.quotes import ApprovalStatus, ApprovalStep, Quote, get_quote
from domain.records import updated
from domain.rules_config import QuoteRules

Decision = Literal["approved", "rejected"]
LEVEL_ROLES = {1: "Manager", 2: "Director", 3: "VP"}


def required_levels(discount_pct: Decimal, total: Decimal, rules: QuoteRules
                    ) -> list[tuple[int, str]]:
    """(level, reason) for every threshold crossed, in level order; pure."""
    steps = []
    if discount_pct > rules.manager_discount_pct:
        steps.append((1, f"discount {discount_pct}% over {rules.manager_discount_pct}%"))
    if discount_pct > rules.director_discount_pct:
        steps.append((2, f"discount {discount_pct}% over {rules.director_discount_pct}%"))
    if total > rules.vp_total_amount:
        steps.append((3, f"total {total} over {rules.vp_total_amount}"))
    return steps


def required_steps(ctx: Context, quote_id: str, owner: str | None, discount_pct: Decimal,
                   total: Decimal) -> list[ApprovalStep]:
    """The approval steps of a new quote, each with the approver the sales org names."""
    from domain import sales_org  # Area A: the org chart

    rep = sales_org.get_rep(ctx.state, owner)
    territory = rep.territory_id if rep else None
    steps = []
    for level, reason in required_levels(discount_pct, total, ctx.rules.quotes):
        if level == 1:
            approver = sales_org.rep_manager(ctx.state, owner) if owner else None
        else:
            approver = sales_org.rep_with_role(ctx.state, LEVEL_ROLES[level], territory)
        steps.append(ApprovalStep(approval_id=ctx.new_id("QAP", f"{quote_id}/{level}"),
                                  approval_level=level, approver_id=approver,
                                  approval_reason=reason))
    return steps


class DecideQuoteApproval(Command):
    """An approver approves or rejects one approval level of a draft quote."""

    AGGREGATE = "quote"

    level: int = Doc("1 manager, 2 director, 3 VP", ge=1, le=3)
    decision: Decision
    approver: str | None = Opt(50, "sales_rep_id of who decided")
    comments: str | None = Opt(description="Stored verbatim")


class QuoteApprovalDecided(Event):
    """One approval step was decided; approval_status is the quote's resulting status."""

    AGGREGATE = "quote"

    approval_id: str = Text(50)
    approval_level: int = Doc("1, 2 or 3", ge=1, le=3)
    decision: Decision
    approver_id: str | None = Opt(50)
    comments: str | None = Opt()
    approval_status: ApprovalStatus


@handles(DecideQuoteApproval)
def decide_approval(ctx: Context, cmd: DecideQuoteApproval) -> None:
    """Decide the lowest pending level; deciding a higher one first is refused."""
    quote = get_quote(ctx, cmd.aggregate_id)
    qid = quote.quotation_id
    if quote.superseded_by:
        raise Rejected(f"quotation {qid} was superseded by {quote.superseded_by}")
    if quote.approval_status != "pending":
        state = quote.approval_status or "not required"
        raise Rejected(f"quotation {qid} approval is {state}")
    pending = [(level, aid) for level, decision, aid in quote.approvals if decision == "pending"]
    levels = [level for level, _ in pending]
    if cmd.level not in levels:
        raise Rejected(f"quotation {qid} has no pending approval at level {cmd.level}")
    if cmd.level != levels[0]:
        raise Rejected(f"quotation {qid} level {levels[0]} must be decided before "
                       f"level {cmd.level}")
    if cmd.decision == "rejected":
        outcome = "rejected"
    else:
        outcome = "approved" if len(levels) == 1 else "pending"
    ctx.emit(QuoteApprovalDecided, qid, approval_id=pending[0][1], approval_level=cmd.level,
             decision=cmd.decision, approver_id=cmd.approver, comments=cmd.comments,
             approval_status=outcome)


@evolves(QuoteApprovalDecided)
def _decided(quote: Quote, e: QuoteApprovalDecided) -> Quote:
    approvals = tuple((lvl, e.decision if lvl == e.approval_level else dec, aid)
                      for lvl, dec, aid in quote.approvals)
    return updated(quote, approvals=approvals, approval_status=e.approval_status)
