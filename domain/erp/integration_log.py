"""crm_integration_log as the rules see it: one row per hand-off, its ids and its evolution.

Shared by the sales order rules (domain/erp/sales_orders.py) and the customer master rules
(domain/erp/master_data.py), with the one thing both send: the sales order request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.erp.messages import (
    IntegrationCompleted,
    IntegrationCustomerCreated,
    IntegrationFailed,
    IntegrationHeld,
    IntegrationReleased,
    IntegrationRequested,
    IntegrationRetried,
    SalesOrderLine,
    SalesOrderRequested,
)
from domain.kernel.context import Context, derive_id
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves
from domain.quotes.entities import Quote

TO_ERP = "crm_to_erp"
TO_MASTER_DATA = "crm_to_master_data"


@dataclass(frozen=True)
class IntegrationLog:
    """A hand-off being tracked. attempt 0: held, nothing sent yet."""

    log_id: str
    document_id: str  # quotation id, or the account id of a customer master request
    status: str
    data: str
    attempt: int = 1
    retry_count: int = 0
    document_type: str = "quotation"


def log_id_for(quotation_id: str) -> str:
    """The integration log id of a quotation's sales order request (one per quotation)."""
    return f"LOG-{derive_id('erp-sales-order', quotation_id)[:18]}"


def customer_log_id_for(account_id: str) -> str:
    """The integration log id of an account's customer master request (one per account)."""
    return f"LOG-{derive_id('erp-customer-master', account_id)[:18]}"


def backoff(retry_count: int, minutes: tuple[int, ...]) -> timedelta:
    """Delay before retry n (1-based); the last configured delay repeats."""
    return timedelta(minutes=minutes[min(retry_count, len(minutes)) - 1])


def dumps(data: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces) for integration_data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def payload_json(event: SalesOrderRequested | Any) -> str:
    """An event's payload as canonical JSON (what the log row stores)."""
    return dumps(event.model_dump(mode="json", include=set(event.payload())))


def emit_order_request(ctx: Context, quote: Quote, attempt: int) -> str:
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
    return payload_json(event)


@evolves(IntegrationRequested)
def _requested(_: IntegrationLog | None, e: IntegrationRequested) -> IntegrationLog:
    return IntegrationLog(e.aggregate_id, e.document_id, "pending", e.integration_data,
                          document_type=e.document_type)


@evolves(IntegrationHeld)
def _held(_: IntegrationLog | None, e: IntegrationHeld) -> IntegrationLog:
    return IntegrationLog(e.aggregate_id, e.document_id, "pending", e.integration_data,
                          attempt=0)


@evolves(IntegrationReleased)
def _released(log: IntegrationLog, e: IntegrationReleased) -> IntegrationLog:
    return updated(log, attempt=1, data=e.integration_data)


@evolves(IntegrationFailed)
def _failed(log: IntegrationLog, e: IntegrationFailed) -> IntegrationLog:
    return updated(log, status="error", retry_count=e.retry_count)


@evolves(IntegrationRetried)
def _retried(log: IntegrationLog, e: IntegrationRetried) -> IntegrationLog:
    return updated(log, status="pending", attempt=e.attempt, data=e.integration_data)


@evolves(IntegrationCompleted, IntegrationCustomerCreated)
def _completed(log: IntegrationLog, e: IntegrationCompleted | IntegrationCustomerCreated
               ) -> IntegrationLog:
    return updated(log, status="completed", data=e.integration_data)


def record_refusal(ctx: Context, log: IntegrationLog, reason: str, timer: str) -> None:
    """Log the ERP's refusal ('error') and schedule retry n after the configured backoff,
    until ErpRules.max_retries is used up (then the row stays 'error')."""
    rules = ctx.rules.erp
    retries = log.retry_count + 1
    next_at = (ctx.now + backoff(retries, rules.backoff_minutes)
               if retries <= rules.max_retries else None)
    ctx.emit(IntegrationFailed, log.log_id, error_message=reason, retry_count=retries,
             last_retry_at=ctx.now, next_retry_at=next_at)
    if next_at is not None:
        ctx.schedule(next_at, timer, log.log_id)
