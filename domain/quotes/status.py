"""A quote's way to the customer and back: sent, acknowledged, under review, accepted or
declined (status rejected), and expired by its timer.

Validity (the accept/expire edge): a quote is valid through the whole of its
valid_until_date. Its expiry timer is due at 00:00 UTC of the next day, so the first
clock tick at or after that instant expires it; an AcceptQuote whose event time is at or
after that instant is refused even when that tick has not been processed yet.
A superseded quote takes no transition: every command is refused with the revision that
replaced it, and its expiry timer does nothing."""

from __future__ import annotations

from domain.erp.sales_orders import request_sales_order
from domain.kernel.context import Context, Rejected
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles, on_timer
from domain.opportunities.entities import Opportunity
from domain.quotes.drafting import ANSWERABLE, EXPIRY_TIMER, FINAL, expires_at, open_quote
from domain.quotes.entities import Quote
from domain.quotes.messages import (
    AcceptQuote,
    AcknowledgeQuote,
    DeclineQuote,
    QuoteAccepted,
    QuoteAcknowledged,
    QuoteDeclined,
    QuoteExpired,
    QuoteSent,
    QuoteStatusEvent,
    QuoteUnderReview,
    ReviewQuote,
    SendQuote,
)


@handles(SendQuote)
def send_quote(ctx: Context, cmd: SendQuote) -> None:
    """Draft -> sent, when approved or when no approval is required."""
    quote = open_quote(ctx, cmd.aggregate_id, ("draft",), "send")
    if quote.approval_status not in (None, "approved"):
        raise Rejected(f"quotation {quote.quotation_id} approval is {quote.approval_status}")
    ctx.emit(QuoteSent, quote.quotation_id)


@handles(AcknowledgeQuote)
def acknowledge_quote(ctx: Context, cmd: AcknowledgeQuote) -> None:
    """Sent -> acknowledged."""
    quote = open_quote(ctx, cmd.aggregate_id, ("sent",), "acknowledge")
    ctx.emit(QuoteAcknowledged, quote.quotation_id)


@handles(ReviewQuote)
def review_quote(ctx: Context, cmd: ReviewQuote) -> None:
    """Sent or acknowledged -> under_review."""
    quote = open_quote(ctx, cmd.aggregate_id, ("sent", "acknowledged"), "review")
    ctx.emit(QuoteUnderReview, quote.quotation_id)


@handles(DeclineQuote)
def decline_quote(ctx: Context, cmd: DeclineQuote) -> None:
    """The customer said no: status rejected."""
    quote = open_quote(ctx, cmd.aggregate_id, ANSWERABLE, "decline")
    ctx.emit(QuoteDeclined, quote.quotation_id, reason=cmd.reason)


@handles(AcceptQuote)
def accept_quote(ctx: Context, cmd: AcceptQuote) -> None:
    """Accepted while valid (through valid_until_date); then the ERP is asked for an order."""
    quote = open_quote(ctx, cmd.aggregate_id, ANSWERABLE, "accept")
    if ctx.now >= expires_at(quote.valid_until):
        raise Rejected(f"quotation {quote.quotation_id} expired after "
                       f"{quote.valid_until.isoformat()}")
    opp: Opportunity | None = ctx.get("opportunity", quote.opportunity_id or "")
    if opp is not None and opp.stage == "closed_lost":
        raise Rejected(f"opportunity {opp.opportunity_id} is closed ({opp.stage})")
    ctx.emit(QuoteAccepted, quote.quotation_id)
    request_sales_order(ctx, quote.quotation_id)


@on_timer(EXPIRY_TIMER)
def expire_quote(ctx: Context, quote_id: str) -> None:
    """Expire a quote nobody accepted or declined; the timer of an answered, converted or
    superseded quote does nothing."""
    quote: Quote | None = ctx.get("quote", quote_id)
    if quote is None or quote.status in FINAL or quote.order_id:
        return
    ctx.emit(QuoteExpired, quote_id)


@evolves(QuoteSent, QuoteAcknowledged, QuoteUnderReview, QuoteAccepted, QuoteDeclined,
         QuoteExpired)
def _status(quote: Quote, e: QuoteStatusEvent) -> Quote:
    return updated(quote, status=e.STATUS)
