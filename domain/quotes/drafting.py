"""Quotations: generated at proposal with their lines, totals and approval steps; revised.

Validity rule (the accept/expire edge): a quote is valid through the whole of its
valid_until_date. Its expiry timer is due at 00:00 UTC of the next day, so the first
clock tick at or after that instant expires it. An AcceptQuote whose event time falls on
or after that instant is refused even when that tick has not been processed yet; one on
valid_until_date itself (any time of the day) is accepted.
Revisions: a revision supersedes its parent (status `superseded`, no further transition:
commands are refused, its expiry timer does nothing). An opportunity therefore has exactly
one non-superseded quote, its primary quote (Salesforce's synced quote): it is the
opportunity's converted_to_quote_id, its lines are the opportunity's product lines
(`domain.quotes.sync`) and its pre-tax total (subtotal - discount), their sum, is the
opportunity's amount. The payment, delivery and warranty terms it states come from
`domain.quotes.terms` (a revision keeps its parent's unless given new ones).
The messages are in `domain.quotes.messages`. Sending, the customer's
answers and expiry live in `domain.quotes.status`; the approval workflow in
`domain.quotes.approvals`; the ERP hand-off in `domain.erp.sales_orders`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from domain.kernel.context import Context, Rejected, require
from domain.kernel.messages import money
from domain.kernel.rulebook import handles
from domain.opportunities.deals import link_quote, open_deal
from domain.opportunities.entities import Opportunity
from domain.opportunities.figures import price_line
from domain.opportunities.terms import change_opportunity_terms
from domain.quotes.approvals import plan_approval
from domain.quotes.entities import Quote, is_live
from domain.quotes.messages import (
    QuoteCreated,
    QuoteLine,
    QuoteLineInput,
    QuoteSuperseded,
    ReviseQuote,
)
from domain.quotes.sync import sync_products
from domain.quotes.terms import default_terms
from domain.rules_config import QuoteRules

EXPIRY_TIMER = "quote_expiry"
# The customer can answer only a quote it has received and that is still open.
ANSWERABLE = ("sent", "acknowledged", "under_review")
# No transition leaves these (a superseded quote takes no transition at all).
FINAL = ("accepted", "rejected", "expired", "superseded")


def expires_at(valid_until: date) -> datetime:
    """Start of the day after valid_until_date (UTC): the instant the quote is invalid."""
    return datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=UTC)


def price_lines(lines: list[QuoteLineInput], ids: list[str]) -> list[QuoteLine]:
    """Number and price the lines (unit price after discount, line total)."""
    out = []
    for n, (line, line_id) in enumerate(zip(lines, ids, strict=True), start=1):
        unit, total = price_line(line.quantity, line.list_price, line.discount_pct)
        out.append(QuoteLine(**line.model_dump(), quote_line_id=line_id, line_number=n,
                             unit_price=unit, line_total=total))
    return out


def totals(lines: list[QuoteLine], rules: QuoteRules) -> dict[str, Decimal]:
    """subtotal, discount_amount, discount_pct, tax_amount, total_amount of priced lines."""
    subtotal = sum((money(ln.quantity * ln.list_price) for ln in lines), Decimal("0.00"))
    net = sum((ln.line_total for ln in lines), Decimal("0.00"))
    discount = subtotal - net
    pct = money(discount * 100 / subtotal) if subtotal else Decimal("0.00")
    tax = money(net * rules.tax_pct / 100)
    return {"subtotal": subtotal, "discount_amount": discount, "discount_pct": pct,
            "tax_amount": tax, "total_amount": net + tax}


def lines_from(opp: Opportunity) -> list[QuoteLineInput]:
    """The opportunity's product lines; without products, one line for the whole deal."""
    if not opp.products:
        if opp.amount > Decimal("99999999.9999"):
            raise Rejected(f"opportunity {opp.opportunity_id} needs product lines for a quote")
        return [QuoteLineInput(product_name=opp.product_category or opp.opportunity_name,
                               quantity=Decimal(1), list_price=opp.amount)]
    return [QuoteLineInput(material_id=p.material_id, product_name=p.product_name,
                           product_description=p.product_description, quantity=p.quantity,
                           unit_of_measure=p.unit_of_measure, list_price=p.list_price,
                           discount_pct=p.discount_pct) for p in opp.products]


def quote_terms(ctx: Context, opp: Opportunity, lines: list[QuoteLineInput], net: Decimal,
                parent: Quote | None, given: dict[str, str | None]) -> dict[str, str | None]:
    """The terms a new quote states: those given, else the parent's, else the defaults."""
    defaults = default_terms(ctx, opp.account_id, lines, net)
    return {name: given.get(name) or (getattr(parent, name) if parent else None)
            or defaults[name] for name in defaults}


def draft_quote(ctx: Context, opp: Opportunity, lines: list[QuoteLineInput], *,
                prepared_by: str | None, parent: Quote | None = None,
                terms: dict[str, str | None] | None = None) -> str:
    """Emit QuoteCreated (with approval steps and terms), schedule its expiry, make it the
    primary quote (superseding `parent`, syncing the opportunity's product lines and
    amount); returns its id."""
    quote_id = ctx.new_id("QUO", opp.opportunity_id)
    priced = price_lines(lines, [ctx.new_id("QLN", f"{quote_id}/{n}")
                                 for n in range(1, len(lines) + 1)])
    sums = totals(priced, ctx.rules.quotes)
    net = sums["subtotal"] - sums["discount_amount"]
    revision = parent.revision_number + 1 if parent else 1
    valid_until = ctx.now.date() + timedelta(days=ctx.rules.quotes.valid_days)
    preparer = prepared_by or opp.owner
    approval = plan_approval(ctx, quote_id, preparer, opp.owner,
                                             sums["discount_pct"], net, parent)
    name = f"{opp.opportunity_name[:180]} - rev {revision}"
    ctx.emit(QuoteCreated, quote_id, quotation_number=ctx.next_number("QUO"),
             quotation_name=name, opportunity_id=opp.opportunity_id, account_id=opp.account_id,
             contact_id=opp.primary_contact_id, quotation_date=ctx.now.date(),
             valid_until_date=valid_until, revision_number=revision,
             parent_quotation_id=parent.quotation_id if parent else None,
             prepared_by=preparer, lines=priced, **approval, **sums,
             **quote_terms(ctx, opp, lines, net, parent, terms or {}))
    ctx.schedule(expires_at(valid_until), EXPIRY_TIMER, quote_id)
    number = ctx.get("quote", quote_id).quotation_number
    if parent is not None:
        ctx.emit(QuoteSuperseded, parent.quotation_id, superseded_by=quote_id,
                 notes=f"Superseded by {number} (revision {revision})")
    link_quote(ctx, opp.opportunity_id, quote_id)
    # The primary quote is the synced quote: its lines become the deal's product lines,
    # and their sum the deal's amount (a change is a history row).
    sync_products(ctx, opp, quote_id, priced)
    change_opportunity_terms(ctx, opp.opportunity_id, amount=net, changed_by=preparer,
                             reason=f"Primary quote {number} (revision {revision})")
    return quote_id


def generate_quote(ctx: Context, opportunity_id: str, *, prepared_by: str | None = None
                   ) -> str | None:
    """At proposal: a quote from the opportunity's products, unless a live one exists.

    When the opportunity's primary quote was declined or expired, the new quote is its
    next revision (it supersedes it), so the opportunity keeps one primary quote.
    """
    opp: Opportunity = ctx.get("opportunity", opportunity_id)
    previous: Quote | None = ctx.get("quote", opp.quote_id) if opp.quote_id else None
    if is_live(previous):
        return None
    parent = previous if previous is not None and previous.superseded_by is None else None
    return draft_quote(ctx, opp, lines_from(opp), prepared_by=prepared_by, parent=parent)


def open_quote(ctx: Context, quote_id: str, allowed: tuple[str, ...], action: str) -> Quote:
    """The quote if it is current and in one of the `allowed` statuses, else Rejected."""
    quote = require(ctx, "quote", quote_id, "unknown quotation {id}")
    if quote.superseded_by:
        raise Rejected(f"quotation {quote_id} was superseded by {quote.superseded_by}")
    if quote.status not in allowed:
        raise Rejected(f"quotation {quote_id} is {quote.status}; cannot {action}")
    return quote


@handles(ReviseQuote)
def revise_quote(ctx: Context, cmd: ReviseQuote) -> None:
    """New revision (revision_number + 1, parent link); the old quote is superseded."""
    old = open_quote(ctx, cmd.aggregate_id, ("draft", *ANSWERABLE, "rejected", "expired"),
                      "revise")
    if old.opportunity_id is None:
        raise Rejected(f"quotation {old.quotation_id} has no opportunity to revise for")
    opp = open_deal(ctx, old.opportunity_id)
    lines = cmd.lines if cmd.lines is not None else [
        QuoteLineInput(**ln.model_dump(include=set(QuoteLineInput.model_fields)))
        for ln in old.lines]
    if not lines:
        raise Rejected("a quotation needs at least one line")
    draft_quote(ctx, opp, lines, prepared_by=cmd.prepared_by, parent=old,
                terms={"payment_terms": cmd.payment_terms,
                       "delivery_terms": cmd.delivery_terms,
                       "warranty_terms": cmd.warranty_terms})
