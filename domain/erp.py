"""The ERP bridge: accepted quote -> sales order request; the ERP's answers close the loop.

QuoteAccepted asks the ERP for a sales order (SalesOrderRequested on erp.sales-orders,
keyed by quotation id) and opens a crm_integration_log row 'pending'. The ERP answers
with SalesOrderCreated or SalesOrderRejected; they enter the core as inputs (commands)
because the core folds them in order like everything else, but they are the ERP's facts,
hence past-tense names. A rejection marks the log 'error' and, while retries remain,
schedules a new request after ErpRules.backoff_minutes (event time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from domain.core import Context, Rejected, derive_id, evolves, handles, on_timer
from domain.messages import (
    Command,
    Date,
    Doc,
    Event,
    Money,
    Opt,
    Quantity,
    Text,
    Timestamp,
    UnitPrice,
)
from domain.opportunity_stages import close_won
from domain.quotes import Quote, QuoteConverted, get_quote
from domain.records import updated

RETRY_TIMER = "erp_order_retry"
DIRECTION = "crm_to_erp"


class SalesOrderLine(BaseModel):
    """A line of the requested sales order."""

    line_number: int = Doc("1, 2, ...", ge=1)
    material_id: str | None = Opt(50)
    product_name: str = Text(200)
    quantity: Quantity
    unit_of_measure: str | None = Opt(20)
    unit_price: UnitPrice = Doc("After discount")
    line_total: Money


class SalesOrderRequested(Event):
    """The CRM asks the ERP to create a sales order from an accepted quotation."""

    AGGREGATE = "sales_order"

    attempt: int = Doc("1 for the first request, +1 per retry", ge=1)
    log_id: str = Text(50, "crm_integration_log row tracking this request")
    quotation_id: str = Text(50)
    quotation_number: str = Text(50)
    opportunity_id: str | None = Opt(50)
    account_id: str = Text(50)
    customer_id: str | None = Opt(50, "ERP customer master id, when the account has one")
    lines: list[SalesOrderLine]
    subtotal: Money
    discount_amount: Money
    tax_amount: Money
    total_amount: Money
    currency: str = Text(3)
    requested_delivery_date: Date | None = None


class SalesOrderCreated(Command):
    """The ERP created the sales order for a quotation (ERP fact, input to the core)."""

    AGGREGATE = "sales_order"

    sales_order_id: str = Text(50)
    quotation_id: str = Text(50)
    order_total: Money
    order_date: Date


class SalesOrderRejected(Command):
    """The ERP refused to create the sales order (ERP fact, input to the core)."""

    AGGREGATE = "sales_order"

    quotation_id: str = Text(50)
    reason: str = Text(description="The ERP's error, stored verbatim")


class IntegrationRequested(Event):
    """A crm_integration_log row opened 'pending' for a sales order request."""

    AGGREGATE = "integration"

    integration_direction: str = Text(20, "crm_to_erp")
    document_type: str = Text(50, "quotation")
    document_id: str = Text(50, "quotation_id")
    integration_data: str = Text(description="JSON of the request (canonical, sorted keys)")


class IntegrationFailed(Event):
    """The ERP refused the request: log 'error', with a retry scheduled while any remain."""

    AGGREGATE = "integration"

    error_message: str = Text(description="The ERP's reason, verbatim")
    retry_count: int = Doc("Refusals so far", ge=1)
    last_retry_at: Timestamp
    next_retry_at: Timestamp | None = Opt(description="None once retries are used up")


class IntegrationRetried(Event):
    """The request was sent again (attempt n): log back to 'pending'."""

    AGGREGATE = "integration"

    attempt: int = Doc("2 for the first retry", ge=2)
    integration_data: str = Text(description="JSON of the request sent")


class IntegrationCompleted(Event):
    """The ERP created the sales order: log 'completed'."""

    AGGREGATE = "integration"

    sales_order_id: str = Text(50)
    integration_data: str = Text(description="The request JSON plus the order's id and total")


@dataclass(frozen=True)
class IntegrationLog:
    """An ERP hand-off being tracked."""

    log_id: str
    quotation_id: str
    status: str
    data: str
    attempt: int = 1
    retry_count: int = 0


def log_id_for(quotation_id: str) -> str:
    """The integration log id of a quotation's sales order request (one per quotation)."""
    return f"LOG-{derive_id('erp-sales-order', quotation_id)[:18]}"


def backoff(retry_count: int, minutes: tuple[int, ...]) -> timedelta:
    """Delay before retry n (1-based); the last configured delay repeats."""
    return timedelta(minutes=minutes[min(retry_count, len(minutes)) - 1])


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _request(ctx: Context, quote: Quote, attempt: int) -> str:
    """Emit SalesOrderRequested (attempt n); return its payload as the log's JSON data."""
    account = ctx.get("account", quote.account_id)
    lead_times = [ln.delivery_lead_time_days for ln in quote.lines
                  if ln.delivery_lead_time_days is not None]
    delivery = quote.quotation_date + timedelta(days=max(lead_times)) if lead_times else None
    event = ctx.emit(
        SalesOrderRequested, quote.quotation_id, attempt=attempt,
        log_id=log_id_for(quote.quotation_id), quotation_id=quote.quotation_id,
        quotation_number=quote.quotation_number, opportunity_id=quote.opportunity_id,
        account_id=quote.account_id, customer_id=getattr(account, "customer_id", None),
        lines=[SalesOrderLine(line_number=ln.line_number, material_id=ln.material_id,
                              product_name=ln.product_name, quantity=ln.quantity,
                              unit_of_measure=ln.unit_of_measure, unit_price=ln.unit_price,
                              line_total=ln.line_total) for ln in quote.lines],
        subtotal=quote.subtotal, discount_amount=quote.discount_amount,
        tax_amount=quote.tax_amount, total_amount=quote.total_amount, currency="INR",
        requested_delivery_date=delivery,
    )
    return _dumps(event.model_dump(mode="json", include=set(event.payload())))


def request_sales_order(ctx: Context, quotation_id: str) -> None:
    """Ask the ERP for a sales order from an accepted quote and open the log row."""
    quote = get_quote(ctx, quotation_id)
    data = _request(ctx, quote, attempt=1)
    ctx.emit(IntegrationRequested, log_id_for(quotation_id), integration_direction=DIRECTION,
             document_type="quotation", document_id=quotation_id, integration_data=data)


@handles(SalesOrderCreated)
def sales_order_created(ctx: Context, cmd: SalesOrderCreated) -> None:
    """Convert the quote, close the opportunity won (revenue credits), complete the log.

    The ERP may say it twice: the same order again changes nothing; another order for an
    already converted quote is refused.
    """
    quote = get_quote(ctx, cmd.quotation_id)
    if quote.order_id == cmd.sales_order_id:
        return
    if quote.order_id:
        raise Rejected(f"quotation {quote.quotation_id} already converted to order "
                       f"{quote.order_id}")
    if quote.status != "accepted":
        raise Rejected(f"quotation {quote.quotation_id} is {quote.status}, not accepted")
    ctx.emit(QuoteConverted, quote.quotation_id, converted_date=cmd.order_date,
             converted_to_order_id=cmd.sales_order_id)
    opp = ctx.get("opportunity", quote.opportunity_id or "")
    if opp is not None and not opp.is_closed:
        close_won(ctx, opp.opportunity_id, amount=quote.net_amount,
                  order_id=cmd.sales_order_id, on=cmd.order_date,
                  reason=f"Sales order {cmd.sales_order_id} created")
    log: IntegrationLog | None = ctx.get("integration", log_id_for(quote.quotation_id))
    if log is not None:
        data = {**json.loads(log.data), "sales_order_id": cmd.sales_order_id,
                "order_total": str(cmd.order_total), "order_date": cmd.order_date.isoformat()}
        ctx.emit(IntegrationCompleted, log.log_id, sales_order_id=cmd.sales_order_id,
                 integration_data=_dumps(data))


@handles(SalesOrderRejected)
def sales_order_rejected(ctx: Context, cmd: SalesOrderRejected) -> None:
    """Log the error; retry after the configured backoff until max_retries is used up."""
    quote = get_quote(ctx, cmd.quotation_id)
    log: IntegrationLog | None = ctx.get("integration", log_id_for(quote.quotation_id))
    if log is None or log.status != "pending" or quote.order_id:
        raise Rejected(f"no sales order request pending for quotation {quote.quotation_id}")
    rules = ctx.rules.erp
    retries = log.retry_count + 1
    next_at = (ctx.now + backoff(retries, rules.backoff_minutes)
               if retries <= rules.max_retries else None)
    ctx.emit(IntegrationFailed, log.log_id, error_message=cmd.reason, retry_count=retries,
             last_retry_at=ctx.now, next_retry_at=next_at)
    if next_at is not None:
        ctx.schedule(next_at, RETRY_TIMER, log.log_id)


@on_timer(RETRY_TIMER)
def retry_sales_order(ctx: Context, log_id: str) -> None:
    """Send the request again (attempt n+1) if it is still in error and not converted."""
    log: IntegrationLog | None = ctx.get("integration", log_id)
    quote: Quote | None = ctx.get("quote", log.quotation_id) if log else None
    if log is None or quote is None or log.status != "error" or quote.order_id:
        return
    if log.attempt > log.retry_count:  # already retried for this refusal
        return
    attempt = log.attempt + 1
    ctx.emit(IntegrationRetried, log_id, attempt=attempt,
             integration_data=_request(ctx, quote, attempt))


@evolves(IntegrationRequested)
def _requested(_: IntegrationLog | None, e: IntegrationRequested) -> IntegrationLog:
    return IntegrationLog(e.aggregate_id, e.document_id, "pending", e.integration_data)


@evolves(IntegrationFailed)
def _failed(log: IntegrationLog, e: IntegrationFailed) -> IntegrationLog:
    return updated(log, status="error", retry_count=e.retry_count)


@evolves(IntegrationRetried)
def _retried(log: IntegrationLog, e: IntegrationRetried) -> IntegrationLog:
    return updated(log, status="pending", attempt=e.attempt, data=e.integration_data)


@evolves(IntegrationCompleted)
def _completed(log: IntegrationLog, e: IntegrationCompleted) -> IntegrationLog:
    return updated(log, status="completed", data=e.integration_data)
