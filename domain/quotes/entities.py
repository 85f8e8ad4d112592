"""The quote as the rules see it, how its events evolve it, and how rules find a live one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.kernel.records import updated
from domain.kernel.rulebook import evolves
from domain.quotes.messages import (
    QuoteConverted,
    QuoteCreated,
    QuoteLine,
    QuoteSuperseded,
)


@dataclass(frozen=True)
class Quote:
    """What the rules need to know about a quote."""

    quotation_id: str
    quotation_number: str
    opportunity_id: str | None
    account_id: str
    quotation_date: date
    valid_until: date
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    revision_number: int
    lines: tuple[QuoteLine, ...]
    approvals: tuple[tuple[int, str, str], ...]  # (level, decision, approval_id) by level
    status: str = "draft"
    approval_status: str | None = None
    superseded_by: str | None = None
    order_id: str | None = None
    discount_pct: Decimal = Decimal("0.00")
    # What is approved for the opportunity up to this quote (smart approvals): the highest
    # discount and pre-tax total, who approved and when. What the previous quotes had
    # approved, plus this quote's own values once it is approved or if it needed none.
    approved_discount_pct: Decimal | None = None
    approved_net_amount: Decimal | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    payment_terms: str | None = None
    delivery_terms: str | None = None
    warranty_terms: str | None = None

    @property
    def net_amount(self) -> Decimal:
        """subtotal - discount: the revenue an order from this quote is worth (no tax)."""
        return self.subtotal - self.discount_amount


def widen(approved: Decimal | None, value: Decimal) -> Decimal:
    """The highest of what was approved (None: nothing) and `value`."""
    return value if approved is None else max(approved, value)


def is_live(quote: Quote | None) -> bool:
    """A quote still in play (not superseded, not answered no, not expired)."""
    return quote is not None and quote.superseded_by is None and quote.status not in (
        "rejected", "expired", "superseded")


@evolves(QuoteCreated)
def _created(_: Quote | None, e: QuoteCreated) -> Quote:
    status = "pending" if e.approvals else "approved" if e.approval_carried_over else None
    disc, net = e.approved_discount_pct, e.approved_net_amount
    if status != "pending":  # approved at once or needing no approval: its values are too
        disc, net = widen(disc, e.discount_pct), widen(net, e.subtotal - e.discount_amount)
    return Quote(e.aggregate_id, e.quotation_number, e.opportunity_id, e.account_id,
                 e.quotation_date, e.valid_until_date, e.subtotal, e.discount_amount,
                 e.tax_amount, e.total_amount, e.revision_number, tuple(e.lines),
                 tuple((s.approval_level, "pending", s.approval_id) for s in e.approvals),
                 approval_status=status, discount_pct=e.discount_pct,
                 approved_discount_pct=disc, approved_net_amount=net, approved_by=e.approved_by,
                 approved_at=e.approved_at, payment_terms=e.payment_terms,
                 delivery_terms=e.delivery_terms, warranty_terms=e.warranty_terms)


@evolves(QuoteSuperseded)
def _superseded(quote: Quote, e: QuoteSuperseded) -> Quote:
    return updated(quote, superseded_by=e.superseded_by, status="superseded")


@evolves(QuoteConverted)
def _converted(quote: Quote, e: QuoteConverted) -> Quote:
    return updated(quote, order_id=e.converted_to_order_id)
