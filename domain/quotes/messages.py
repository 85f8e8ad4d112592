"""Quote messages: lines, approval steps, the quote's creation, revision and conversion,
and the synced quote's lines carried into the opportunity's products.

The rules that emit them live in `domain.quotes.drafting` (which re-exports them),
`domain.quotes.approvals` and `domain.quotes.sync`."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

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

QuoteStatus = Literal["draft", "sent", "acknowledged", "under_review", "accepted", "rejected",
                      "expired", "superseded"]
ApprovalStatus = Literal["pending", "approved", "rejected"]

class QuoteLineInput(BaseModel):
    """A line as entered (a revision may change quantities, prices and discounts)."""

    material_id: str | None = Opt(50)
    product_name: str = Text(200)
    product_description: str | None = Opt()
    quantity: Quantity = Doc("Quantity", gt=0)
    unit_of_measure: str | None = Opt(20)
    list_price: UnitPrice = Doc("INR per unit", ge=0)
    discount_pct: Percent = Field(default=Decimal("0"), ge=0, le=100)
    delivery_lead_time_days: int | None = Opt(description="Days from order to delivery")


class QuoteLine(QuoteLineInput):
    """A priced quotation line."""

    quote_line_id: str = Text(50)
    line_number: int = Doc("1, 2, ...", ge=1)
    unit_price: UnitPrice = Doc("After discount")
    line_total: Money


class ApprovalStep(BaseModel):
    """One required approval (level 1 manager, 2 director, 3 VP)."""

    approval_id: str = Text(50)
    approval_level: int = Doc("1, 2 or 3", ge=1, le=3)
    approver_id: str | None = Opt(50, "Sales rep expected to decide (None: nobody found)")
    approval_reason: str = Text(200, "Which threshold required it")


class QuoteCreated(Event):
    """A quotation (with its lines and required approval steps) was drafted."""

    AGGREGATE = "quote"

    quotation_number: str = Text(50, "QUO-000001")
    quotation_name: str = Text(200)
    opportunity_id: str | None = Opt(50)
    account_id: str = Text(50)
    contact_id: str | None = Opt(50)
    quotation_date: Date
    valid_until_date: Date
    subtotal: Money = Doc("Sum of quantity * list price")
    discount_amount: Money = Doc("subtotal - sum of line totals")
    discount_pct: Percent = Doc("discount_amount / subtotal * 100, 2 places")
    tax_amount: Money
    total_amount: Money = Doc("subtotal - discount + tax")
    revision_number: int = Doc("1 for the first quote, +1 per revision", ge=1)
    parent_quotation_id: str | None = Opt(50, "Quote this one revises")
    prepared_by: str | None = Opt(50)
    lines: list[QuoteLine]
    approvals: list[ApprovalStep] = Doc("Empty when no threshold is crossed or when the "
                                        "approval of the previous quote covers it")
    # Smart approvals: what the opportunity's previous quotes already had approved.
    approved_discount_pct: Percent | None = Field(
        default=None, description="Highest discount already approved for the opportunity's "
        "previous quote (None: nothing approved yet)")
    approved_net_amount: Money | None = Field(
        default=None, description="Highest pre-tax total already approved for the "
        "opportunity's previous quote")
    approved_by: str | None = Opt(50, "Who approved what the previous quote carried")
    approved_at: Timestamp | None = Field(default=None, description="When that was approved")
    approval_carried_over: bool = Field(
        default=False, description="Thresholds crossed, but nothing above what was already "
        "approved: the quote is approved without new steps")
    # The commercial terms the quotation states (domain.quotes.terms); None in quotes
    # drafted before the rule existed.
    payment_terms: str | None = Opt(50, "NET30, NET60, advance or milestone")
    delivery_terms: str | None = Opt(100, "Incoterms 2020 rule and place")
    warranty_terms: str | None = Opt(description="Warranty period and what it covers")


class ReviseQuote(Command):
    """Replace a quote by a new revision (same lines and terms unless new ones are given)."""

    AGGREGATE = "quote"

    lines: list[QuoteLineInput] | None = None
    prepared_by: str | None = Opt(50)
    payment_terms: str | None = Opt(50, "New payment terms (None: the parent's)")
    delivery_terms: str | None = Opt(100, "New delivery terms (None: the parent's)")
    warranty_terms: str | None = Opt(description="New warranty terms (None: the parent's)")


class QuoteSuperseded(Event):
    """A newer revision replaced this quote; it can no longer be sent or accepted."""

    AGGREGATE = "quote"

    superseded_by: str = Text(50, "quotation_id of the revision")
    notes: str = Text(500)


class QuoteConverted(Event):
    """The ERP created a sales order from the accepted quote."""

    AGGREGATE = "quote"

    converted_date: Date
    converted_to_order_id: str = Text(50)


class SyncedProductLine(BaseModel):
    """An opportunity product line as the synced quote's line sets it."""

    opp_product_id: str = Text(50, "Kept for a line number the deal already had")
    line_number: int = Doc("1, 2, ... (the quote's line number)", ge=1)
    quote_line_id: str = Text(50, "Quotation line it mirrors")
    material_id: str | None = Opt(50)
    product_name: str = Text(200)
    product_description: str | None = Opt()
    quantity: Quantity = Doc("Quantity", gt=0)
    unit_of_measure: str | None = Opt(20)
    list_price: UnitPrice = Doc("List price per unit, INR", ge=0)
    discount_pct: Percent = Field(default=Decimal("0"), ge=0, le=100)
    unit_price: UnitPrice = Doc("After discount")
    line_total: Money = Doc("quantity * unit_price")
    required_date: Date | None = None


class OpportunityProductsSynced(Event):
    """The opportunity's product lines are now exactly its synced (primary) quote's lines
    (Salesforce's quote sync); the amount follows in OpportunityTermsChanged."""

    AGGREGATE = "opportunity"

    quotation_id: str = Text(50, "The synced quote")
    lines: list[SyncedProductLine] = Doc("Every product line of the deal now, in order")
    added_opp_product_ids: list[str] = Field(
        default_factory=list, description="Lines the deal did not have before")
    removed_opp_product_ids: list[str] = Field(
        default_factory=list, description="Lines the synced quote no longer has")

Decision = Literal["approved", "rejected"]


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


class SendQuote(Command):
    """Send the quote to the customer (only once approved or when no approval is needed)."""

    AGGREGATE = "quote"


class AcknowledgeQuote(Command):
    """The customer confirmed receipt."""

    AGGREGATE = "quote"


class ReviewQuote(Command):
    """The customer is reviewing the quote."""

    AGGREGATE = "quote"


class AcceptQuote(Command):
    """The customer accepted the quote (only while it is valid)."""

    AGGREGATE = "quote"


class DeclineQuote(Command):
    """The customer declined the quote."""

    AGGREGATE = "quote"

    reason: str | None = Opt(description="Stored verbatim in the quote's notes")


class QuoteStatusEvent(Event):
    """Base of the events that move a quote to `STATUS` (not a message itself)."""

    STATUS: ClassVar[str] = ""


class QuoteSent(QuoteStatusEvent):
    """The quote went to the customer."""

    AGGREGATE = "quote"
    STATUS = "sent"


class QuoteAcknowledged(QuoteStatusEvent):
    """The customer confirmed receipt."""

    AGGREGATE = "quote"
    STATUS = "acknowledged"


class QuoteUnderReview(QuoteStatusEvent):
    """The customer is reviewing the quote."""

    AGGREGATE = "quote"
    STATUS = "under_review"


class QuoteAccepted(QuoteStatusEvent):
    """The customer accepted the quote; the ERP is asked for a sales order."""

    AGGREGATE = "quote"
    STATUS = "accepted"


class QuoteDeclined(QuoteStatusEvent):
    """The customer declined the quote (quotation_status 'rejected')."""

    AGGREGATE = "quote"
    STATUS = "rejected"

    reason: str | None = Opt(description="The customer's reason, verbatim")


class QuoteExpired(QuoteStatusEvent):
    """valid_until_date passed with no answer (first tick after the end of that day)."""

    AGGREGATE = "quote"
    STATUS = "expired"
