"""The ERP bridge: accepted quote -> sales order request; the ERP's answers close the loop.

QuoteAccepted asks the ERP for a sales order (SalesOrderRequested on erp.sales-orders,
keyed by quotation id) and opens a crm_integration_log row 'pending'. An account without
an ERP customer master first gets one (domain/erp/master_data.py): its order request is held
(row 'pending', nothing sent) and released when master data answers. The ERP answers with
SalesOrderCreated or SalesOrderRejected; they enter the core as inputs (commands) because
the core folds them in order like everything else, but they are the ERP's facts, hence
past-tense names. A rejection marks the log 'error' and, while retries remain, schedules a
new request after ErpRules.backoff_minutes (event time)."""

from __future__ import annotations

import json

from domain.erp.integration_log import (
    TO_ERP,
    IntegrationLog,
    dumps,
    emit_order_request,
    log_id_for,
    record_refusal,
)
from domain.erp.master_data import hold_for_customer
from domain.erp.messages import (
    IntegrationCompleted,
    IntegrationRequested,
    IntegrationRetried,
    SalesOrderCreated,
    SalesOrderRejected,
)
from domain.kernel.context import Context, Rejected, require
from domain.kernel.rulebook import handles, on_timer
from domain.opportunities.stages import close_won
from domain.quotes.entities import Quote
from domain.quotes.messages import QuoteConverted

RETRY_TIMER = "erp_order_retry"
DIRECTION = TO_ERP


def request_sales_order(ctx: Context, quotation_id: str) -> None:
    """Ask the ERP for a sales order from an accepted quote and open the log row; an
    account without a customer master waits for it (held row, master data asked once)."""
    quote = require(ctx, "quote", quotation_id, "unknown quotation {id}")
    account = ctx.get("account", quote.account_id)
    if account is not None and account.customer_id is None:
        hold_for_customer(ctx, quote)
        return
    data = emit_order_request(ctx, quote, attempt=1)
    ctx.emit(IntegrationRequested, log_id_for(quotation_id), integration_direction=TO_ERP,
             document_type="quotation", document_id=quotation_id, integration_data=data)


@handles(SalesOrderCreated)
def sales_order_created(ctx: Context, cmd: SalesOrderCreated) -> None:
    """Convert the quote, close the opportunity won (revenue credits, with the win reason
    its owner recorded), complete the log.

    The ERP may say it twice: the same order again changes nothing; another order for an
    already converted quote is refused.
    """
    quote = require(ctx, "quote", cmd.quotation_id, "unknown quotation {id}")
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
        # The order moved the stage; the win reason is the one the owner recorded
        # (close_won), the order itself converted_to_order_id.
        close_won(ctx, opp.opportunity_id, amount=quote.net_amount,
                  order_id=cmd.sales_order_id, on=cmd.order_date,
                  reason=f"Sales order {cmd.sales_order_id} created")
    log: IntegrationLog | None = ctx.get("integration", log_id_for(quote.quotation_id))
    if log is not None:
        data = {**json.loads(log.data), "sales_order_id": cmd.sales_order_id,
                "order_total": str(cmd.order_total), "order_date": cmd.order_date.isoformat()}
        ctx.emit(IntegrationCompleted, log.log_id, sales_order_id=cmd.sales_order_id,
                 integration_data=dumps(data))


@handles(SalesOrderRejected)
def sales_order_rejected(ctx: Context, cmd: SalesOrderRejected) -> None:
    """Log the error; retry after the configured backoff until max_retries is used up."""
    quote = require(ctx, "quote", cmd.quotation_id, "unknown quotation {id}")
    log: IntegrationLog | None = ctx.get("integration", log_id_for(quote.quotation_id))
    if log is None or log.status != "pending" or log.attempt == 0 or quote.order_id:
        raise Rejected(f"no sales order request pending for quotation {quote.quotation_id}")
    record_refusal(ctx, log, cmd.reason, RETRY_TIMER)


@on_timer(RETRY_TIMER)
def retry_sales_order(ctx: Context, log_id: str) -> None:
    """Send the request again (attempt n+1) if it is still in error and not converted."""
    log: IntegrationLog | None = ctx.get("integration", log_id)
    quote: Quote | None = ctx.get("quote", log.document_id) if log else None
    if log is None or quote is None or log.status != "error" or quote.order_id:
        return
    if log.attempt > log.retry_count:  # already retried for this refusal
        return
    attempt = log.attempt + 1
    ctx.emit(IntegrationRetried, log_id, attempt=attempt,
             integration_data=emit_order_request(ctx, quote, attempt))
