"""quotations, quotation_lines and quotation_approvals rows (all written by quote events),
and the opportunity_products rows the synced quote's lines set (OpportunityProductsSynced,
an opportunity event)."""

from __future__ import annotations

from domain.kernel.messages import Event
from domain.quotes.messages import (
    OpportunityProductsSynced,
    QuoteAccepted,
    QuoteAcknowledged,
    QuoteApprovalDecided,
    QuoteConverted,
    QuoteCreated,
    QuoteDeclined,
    QuoteExpired,
    QuoteSent,
    QuoteStatusEvent,
    QuoteSuperseded,
    QuoteUnderReview,
)
from projectors.projection import Delete, Upsert, delete, projects, upsert


def _quote(e: Event, **values: object) -> Upsert:
    return upsert("quotations", e, {"quotation_id": e.aggregate_id}, **values,
                  updated_at=e.occurred_at)


@projects(QuoteCreated)
def quote_created(e: QuoteCreated) -> list[Upsert]:
    """The quotation in draft, one row per line and one per required approval step."""
    header = e.payload()
    for name in ("lines", "approvals", "discount_pct", "approved_discount_pct",
                 "approved_net_amount", "approved_by", "approved_at", "approval_carried_over"):
        header.pop(name)
    if e.approvals:
        approval: dict[str, object] = {"requires_approval": True, "approval_status": "pending"}
    elif e.approval_carried_over:  # smart approvals: approved by the earlier approval
        approval = {"requires_approval": True, "approval_status": "approved",
                    "approved_by": e.approved_by, "approved_at": e.approved_at}
    else:
        approval = {"requires_approval": False, "approval_status": None}
    rows = [_quote(e, **header, **approval, quotation_status="draft", currency="INR",
                   shipping_cost=0, converted=False, created_at=e.occurred_at)]
    rows += [upsert("quotation_lines", e, {"quote_line_id": ln.quote_line_id},
                    quotation_id=e.aggregate_id, line_number=ln.line_number,
                    material_id=ln.material_id, product_name=ln.product_name,
                    product_description=ln.product_description, quantity=ln.quantity,
                    unit_of_measure=ln.unit_of_measure, list_price=ln.list_price,
                    discount_pct=ln.discount_pct, unit_price=ln.unit_price,
                    line_total=ln.line_total,
                    delivery_lead_time_days=ln.delivery_lead_time_days,
                    created_at=e.occurred_at) for ln in e.lines]
    rows += [upsert("quotation_approvals", e, {"approval_id": st.approval_id},
                    quotation_id=e.aggregate_id, approval_level=st.approval_level,
                    approver_id=st.approver_id, approval_reason=st.approval_reason,
                    discount_pct=e.discount_pct, total_amount=e.total_amount,
                    decision="pending", requested_at=e.occurred_at, decided_at=None,
                    comments=None) for st in e.approvals]
    return rows


@projects(QuoteApprovalDecided)
def approval_decided(e: QuoteApprovalDecided) -> list[Upsert]:
    """The step's decision; the quotation's approval status (and approver once approved)."""
    step = upsert("quotation_approvals", e, {"approval_id": e.approval_id},
                  decision=e.decision, decided_at=e.occurred_at, comments=e.comments,
                  **({"approver_id": e.approver_id} if e.approver_id else {}))
    if e.approval_status == "approved":
        header = _quote(e, approval_status="approved", approved_by=e.approver_id,
                        approved_at=e.occurred_at)
    else:
        header = _quote(e, approval_status=e.approval_status)
    return [step, header]


@projects(QuoteSent, QuoteAcknowledged, QuoteUnderReview, QuoteAccepted, QuoteDeclined,
          QuoteExpired)
def status_changed(e: QuoteStatusEvent) -> list[Upsert]:
    """sent, acknowledged, under_review, accepted, rejected (declined) or expired."""
    reason = getattr(e, "reason", None)
    notes = {"notes": reason} if reason is not None else {}
    return [_quote(e, quotation_status=e.STATUS, **notes)]


@projects(QuoteSuperseded)
def superseded(e: QuoteSuperseded) -> list[Upsert]:
    """Superseded by a revision: status `superseded`, the note says which."""
    return [_quote(e, quotation_status="superseded", notes=e.notes)]


@projects(QuoteConverted)
def converted(e: QuoteConverted) -> list[Upsert]:
    """Converted into the ERP's sales order."""
    return [_quote(e, converted=True, converted_date=e.converted_date,
                   converted_to_order_id=e.converted_to_order_id)]


@projects(OpportunityProductsSynced)
def products_synced(e: OpportunityProductsSynced) -> list[Upsert | Delete]:
    """Each line's opportunity_products row, rewritten in place (same opp_product_id for
    a line number the deal had); created_at only on the rows the sync adds. The rows of
    `removed_opp_product_ids` (a revision with fewer lines) are deleted.
    """
    added = set(e.added_opp_product_ids)
    gone: list[Upsert | Delete] = [
        delete("opportunity_products", e, {"opp_product_id": opp_product_id})
        for opp_product_id in e.removed_opp_product_ids]
    return gone + [upsert("opportunity_products", e, {"opp_product_id": ln.opp_product_id},
                   opportunity_id=e.aggregate_id, line_number=ln.line_number,
                   material_id=ln.material_id, product_name=ln.product_name,
                   product_description=ln.product_description, quantity=ln.quantity,
                   unit_of_measure=ln.unit_of_measure, list_price=ln.list_price,
                   discount_pct=ln.discount_pct, unit_price=ln.unit_price,
                   line_total=ln.line_total, required_date=ln.required_date,
                   **({"created_at": e.occurred_at} if ln.opp_product_id in added else {}))
            for ln in e.lines]
