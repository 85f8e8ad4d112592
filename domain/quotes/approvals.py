"""Threshold-based quote approvals: which levels a quote needs, who decides each, in order.

Levels (design.md): discount above QuoteRules.manager_discount_pct needs level 1 (a
manager); above director_discount_pct also level 2 (a director); a pre-tax total
(subtotal - discount, GST excluded) above vp_total_amount also level 3 (a VP). Discounts
are compared at two decimals, the precision stored on the quote: 10.00 % and 10.004 %
need nothing, 10.01 % needs a manager.

Routing (like Salesforce's "Manager" field on the submitter): every level goes up the
preparing rep's own reporting chain (the opportunity owner's when the preparer is not a
sales rep). Level 1 is the preparer's direct manager (whatever the title); level 2 the
first active Director and level 3 the first active VP above the preparer. Fallback when
the chain has nobody active for a level: the preparer's territory manager (level 1), or
the first of the role up the territory manager's own chain (levels 2 and 3); then the
active rep of that role with the lowest rep code. Nobody approves their own quote.

Smart approvals (Salesforce CPQ's term): a revision needs a level again only when the
value that level judges rose above what was already approved for the opportunity's
previous quote (discount for levels 1 and 2, pre-tax total for level 3). When every
crossed threshold is covered, the revision is approved at once, by the earlier approver.
Steps are decided one at a time, lowest level first; one rejection rejects the quote's
approval (it stays draft; revise it to go on); all approved makes it sendable."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.kernel.context import Context, Rejected, require
from domain.kernel.messages import money
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles
from domain.kernel.state import CrmState
from domain.quotes.entities import Quote, widen
from domain.quotes.messages import (
    ApprovalStep,
    DecideQuoteApproval,
    QuoteApprovalDecided,
)
from domain.rules_config import QuoteRules
from domain.sales_org.org_chart import active_reps, get_rep

LEVEL_ROLES = {1: "Manager", 2: "Director", 3: "VP"}
Envelope = tuple[Decimal | None, Decimal | None, str | None, datetime | None]
NOTHING_APPROVED: Envelope = (None, None, None, None)


def required_levels(discount_pct: Decimal, net_amount: Decimal, rules: QuoteRules
                    ) -> list[tuple[int, str]]:
    """(level, reason) for every threshold crossed, in level order; pure.

    `net_amount` is the pre-tax total: GST never decides who approves a price.
    """
    discount = money(discount_pct)  # the stored precision: 10.004 % is 10.00 %
    steps = []
    if discount > rules.manager_discount_pct:
        steps.append((1, f"discount {discount}% over {rules.manager_discount_pct}%"))
    if discount > rules.director_discount_pct:
        steps.append((2, f"discount {discount}% over {rules.director_discount_pct}%"))
    if net_amount > rules.vp_total_amount:
        steps.append((3, f"pre-tax total {net_amount} over {rules.vp_total_amount}"))
    return steps


def approved_envelope(quote: Quote | None, rules: QuoteRules) -> Envelope:
    """What is approved for the opportunity after `quote`: (discount, pre-tax total, by, at).

    The quote keeps it up to date (domain.quotes.drafting.Quote): an approved quote, or one that
    needed no approval, adds its own values to what it inherited; a pending or rejected
    one passes on only what it inherited.
    """
    if quote is None or not rules.smart_approvals:
        return NOTHING_APPROVED
    return (quote.approved_discount_pct, quote.approved_net_amount, quote.approved_by,
            quote.approved_at)


def uncovered(levels: list[tuple[int, str]], discount_pct: Decimal, net_amount: Decimal,
              envelope: Envelope) -> list[tuple[int, str]]:
    """The crossed levels whose value rose above what was already approved; pure."""
    disc, net = envelope[0], envelope[1]
    out = []
    for level, reason in levels:
        approved = net if level == 3 else disc
        value = net_amount if level == 3 else money(discount_pct)
        if approved is None:
            out.append((level, reason))
        elif value > approved:
            out.append((level, f"{reason}; approved before: {approved}"))
    return out


def plan_approval(ctx: Context, quote_id: str, preparer: str | None, owner: str | None,
                  discount_pct: Decimal, net_amount: Decimal, parent: Quote | None
                  ) -> dict[str, Any]:
    """The approval fields of a new QuoteCreated: its steps (with approvers) and what the
    previous quote had approved (smart approvals)."""
    rules = ctx.rules.quotes
    envelope = approved_envelope(parent, rules)
    crossed = required_levels(discount_pct, net_amount, rules)
    needed = uncovered(crossed, discount_pct, net_amount, envelope)
    subject = preparer if _rep(ctx.state, preparer) is not None else owner
    steps = [ApprovalStep(approval_id=ctx.new_id("QAP", f"{quote_id}/{level}"),
                          approval_level=level, approver_id=approver_for(
                              ctx.state, level, subject), approval_reason=reason)
             for level, reason in needed]
    return {"approvals": steps, "approved_discount_pct": envelope[0],
            "approved_net_amount": envelope[1], "approved_by": envelope[2],
            "approved_at": envelope[3], "approval_carried_over": bool(crossed) and not needed}


def approver_for(state: CrmState, level: int, rep_id: str | None) -> str | None:
    """Who decides `level` for a quote prepared by `rep_id` (see the module's routing)."""
    role = LEVEL_ROLES[level]
    rep = _rep(state, rep_id)
    if rep is not None:
        head = getattr(state.get("territory", rep.territory_id), "manager", None)
        # Level 1: the direct manager (whatever the title), else the territory's manager.
        # Levels 2 and 3: the first of the role up the rep's chain, else up the territory
        # manager's chain.
        for start in (rep.manager_id, head):
            found = (_first_up(state, start, role, rep_id) if level > 1
                     else _active(state, start, rep_id))
            if found:
                return found
    anyone = [r.sales_rep_id for r in active_reps(state, (role,), any_territory=True)
              if r.sales_rep_id != rep_id]
    return anyone[0] if anyone else None


def _rep(state: CrmState, rep_id: str | None) -> Any:
    return get_rep(state, rep_id)


def _active(state: CrmState, candidate: str | None, exclude: str | None) -> str | None:
    """`candidate` if an active rep other than `exclude`."""
    rep = _rep(state, candidate)
    return candidate if rep is not None and rep.active and candidate != exclude else None


def _first_up(state: CrmState, start: str | None, role: str, exclude: str | None
              ) -> str | None:
    """The first active rep with `role` from `start` up the manager chain (cycle-safe)."""
    seen: list[str] = []
    current = _rep(state, start)
    while current is not None and current.sales_rep_id not in seen:
        if (current.sales_role == role and current.active
                and current.sales_rep_id != exclude):
            return str(current.sales_rep_id)
        seen.append(current.sales_rep_id)
        current = _rep(state, current.manager_id)
    return None


@handles(DecideQuoteApproval)
def decide_approval(ctx: Context, cmd: DecideQuoteApproval) -> None:
    """Decide the lowest pending level; deciding a higher one first is refused."""
    quote = require(ctx, "quote", cmd.aggregate_id, "unknown quotation {id}")
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
    if e.approval_status != "approved":
        return updated(quote, approvals=approvals, approval_status=e.approval_status)
    # Fully approved: these values are now approved for the opportunity's next revision.
    return updated(quote, approvals=approvals, approval_status="approved",
                   approved_discount_pct=widen(quote.approved_discount_pct,
                                               quote.discount_pct),
                   approved_net_amount=widen(quote.approved_net_amount, quote.net_amount),
                   approved_by=e.approver_id, approved_at=e.occurred_at)
