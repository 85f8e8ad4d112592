"""CRM -> Master Data: an account becomes an ERP customer before its first sales order.

A quote accepted for an account without customer_id does not go to the ERP yet: its
sales order request is held (crm_integration_log row 'pending', document quotation,
nothing sent) and master data is asked for the customer (CustomerMasterRequested on
erp.customer-masters, keyed by account; its own row: crm_to_master_data, document
customer, 'pending'), once per account however many quotes wait. The answer enters the
core as an input: CustomerMasterCreated links the account (AccountLinkedToCustomer, the
same rule as LinkAccountToCustomer), completes the row and sends every held order request
(attempt 1) in acceptance order; CustomerMasterRejected marks the row 'error' and retries
after ErpRules.backoff_minutes until max_retries is used up. An account linked by other
means meanwhile (a data steward's LinkAccountToCustomer) has its held orders sent on the
next tick; a quote accepted after the retries ran out asks master data again."""

from __future__ import annotations

import json

from domain.accounts.messages import AccountLinkedToCustomer
from domain.erp.integration_log import (
    TO_MASTER_DATA,
    IntegrationLog,
    customer_log_id_for,
    dumps,
    emit_order_request,
    log_id_for,
    payload_json,
    record_refusal,
)
from domain.erp.messages import (
    CustomerMasterCreated,
    CustomerMasterRejected,
    CustomerMasterRequested,
    IntegrationCustomerCreated,
    IntegrationHeld,
    IntegrationReleased,
    IntegrationRequested,
    IntegrationRetried,
)
from domain.kernel.context import Context, Rejected
from domain.kernel.rulebook import handles, indexes, on_tick, on_timer
from domain.kernel.state import CrmState
from domain.quotes.entities import Quote

RETRY_TIMER = "customer_master_retry"
_WAITING = "erp_orders_waiting"  # customer log id -> quotation ids held for it, in order


def _ask(ctx: Context, account_id: str, attempt: int, quotation_id: str | None) -> str:
    """Emit CustomerMasterRequested (attempt n); return its payload as the log's JSON."""
    account = ctx.get("account", account_id)
    parent = ctx.get("account", account.parent_account_id or "")
    event = ctx.emit(
        CustomerMasterRequested, account_id, attempt=attempt,
        log_id=customer_log_id_for(account_id), account_id=account_id,
        account_number=account.account_number, account_name=account.account_name,
        account_type=account.account_type, account_owner=account.account_owner,
        parent_account_id=account.parent_account_id,
        parent_customer_id=getattr(parent, "customer_id", None), quotation_id=quotation_id)
    return payload_json(event)


def hold_for_customer(ctx: Context, quote: Quote) -> None:
    """Hold the quote's order request until the account has a customer master; ask master
    data unless a request is already under way."""
    account_id = quote.account_id
    customer_log = customer_log_id_for(account_id)
    log: IntegrationLog | None = ctx.get("integration", customer_log)
    if log is None:
        ctx.emit(IntegrationRequested, customer_log, integration_direction=TO_MASTER_DATA,
                 document_type="customer", document_id=account_id,
                 integration_data=_ask(ctx, account_id, 1, quote.quotation_id))
    elif log.status == "error" and log.retry_count > ctx.rules.erp.max_retries:
        attempt = log.attempt + 1  # retries used up: a new order asks again
        ctx.emit(IntegrationRetried, customer_log, attempt=attempt,
                 integration_data=_ask(ctx, account_id, attempt, quote.quotation_id))
    ctx.emit(IntegrationHeld, log_id_for(quote.quotation_id), document_id=quote.quotation_id,
             account_id=account_id, customer_log_id=customer_log,
             integration_data=dumps({"quotation_id": quote.quotation_id,
                                     "quotation_number": quote.quotation_number,
                                     "account_id": account_id,
                                     "waiting_for": "customer_master",
                                     "customer_log_id": customer_log}))


def release_orders(ctx: Context, customer_log: str) -> None:
    """Send the order requests held for a customer master (the account now has one)."""
    for quotation_id in ctx.state.view(_WAITING).get(customer_log, ()):
        quote: Quote | None = ctx.get("quote", quotation_id)
        log: IntegrationLog | None = ctx.get("integration", log_id_for(quotation_id))
        if (quote is None or log is None or log.attempt != 0 or quote.order_id
                or quote.status != "accepted"):
            continue
        ctx.emit(IntegrationReleased, log.log_id, customer_log_id=customer_log,
                 integration_data=emit_order_request(ctx, quote, attempt=1))


def _customer_log(ctx: Context, account_id: str) -> IntegrationLog:
    log: IntegrationLog | None = ctx.get("integration", customer_log_id_for(account_id))
    if log is None:
        raise Rejected(f"no customer master request for account {account_id}")
    return log


@handles(CustomerMasterCreated)
def customer_master_created(ctx: Context, cmd: CustomerMasterCreated) -> None:
    """Link the account, complete the log row, send the held order requests.

    Said twice, the same customer changes nothing. An account linked by hand meanwhile
    keeps its link (the row records both ids).
    """
    log = _customer_log(ctx, cmd.account_id)
    account = ctx.get("account", cmd.account_id)
    if log.status == "completed":
        if json.loads(log.data).get("customer_id") == cmd.customer_id:
            return
        raise Rejected(f"customer master for account {cmd.account_id} already created")
    data = {**json.loads(log.data), "customer_id": cmd.customer_id}
    if account.customer_id is None:
        # As LinkAccountToCustomer: a customer from this day unless something made it one.
        ctx.emit(AccountLinkedToCustomer, cmd.account_id, customer_id=cmd.customer_id,
                 customer_since=ctx.now.date() if account.customer_since is None else None)
    elif account.customer_id != cmd.customer_id:
        data["linked_customer_id"] = account.customer_id
    ctx.emit(IntegrationCustomerCreated, log.log_id, customer_id=cmd.customer_id,
             integration_data=dumps(data))
    release_orders(ctx, log.log_id)


@handles(CustomerMasterRejected)
def customer_master_rejected(ctx: Context, cmd: CustomerMasterRejected) -> None:
    """Log the error; retry after the configured backoff until max_retries is used up."""
    log = _customer_log(ctx, cmd.account_id)
    if log.status != "pending":
        raise Rejected(f"no customer master request pending for account {cmd.account_id}")
    record_refusal(ctx, log, cmd.reason, RETRY_TIMER)


@on_timer(RETRY_TIMER)
def retry_customer_master(ctx: Context, log_id: str) -> None:
    """Ask again (attempt n+1) if the row is still in error and the account unlinked."""
    log: IntegrationLog | None = ctx.get("integration", log_id)
    if log is None or log.status != "error" or log.attempt > log.retry_count:
        return
    account = ctx.get("account", log.document_id)
    if account is None or account.customer_id is not None:
        return
    attempt = log.attempt + 1
    ctx.emit(IntegrationRetried, log_id, attempt=attempt, integration_data=_ask(
        ctx, log.document_id, attempt, json.loads(log.data).get("quotation_id")))


@on_tick
def release_for_linked_accounts(ctx: Context) -> None:
    """Held orders of an account linked by other means than the answer are sent now."""
    for customer_log in list(ctx.state.view(_WAITING)):
        log: IntegrationLog | None = ctx.get("integration", customer_log)
        account = ctx.get("account", log.document_id) if log else None
        if account is not None and account.customer_id is not None:
            release_orders(ctx, customer_log)


@indexes(IntegrationHeld)
def _index_held(state: CrmState, e: IntegrationHeld) -> None:
    waiting = state.view(_WAITING)
    waiting[e.customer_log_id] = (*waiting.get(e.customer_log_id, ()), e.document_id)


@indexes(IntegrationReleased)
def _index_released(state: CrmState, e: IntegrationReleased) -> None:
    waiting = state.view(_WAITING)
    log: IntegrationLog = state.get("integration", e.aggregate_id)
    left = tuple(q for q in waiting.get(e.customer_log_id, ()) if q != log.document_id)
    if left:
        waiting[e.customer_log_id] = left
    else:
        waiting.pop(e.customer_log_id, None)
