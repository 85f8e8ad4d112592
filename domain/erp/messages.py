"""Messages of the ERP and master-data hand-offs (rules: domain/erp/sales_orders.py and
domain/erp/master_data.py).

Requests the CRM sends (SalesOrderRequested on erp.sales-orders, CustomerMasterRequested on
erp.customer-masters) are derived events; the ERP's answers enter the core as inputs
(commands) because the core folds them in order like everything else, but they are the
ERP's facts, hence past-tense names. Integration* events keep crm_integration_log."""

from __future__ import annotations

from pydantic import BaseModel

from domain.kernel.messages import (
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


class CustomerMasterRequested(Event):
    """The CRM asks master data to create the ERP customer (sold-to party) for an account.

    Sent when a quote is accepted for an account without customer_id; the account's sales
    orders wait for the answer.
    """

    AGGREGATE = "customer_master"

    attempt: int = Doc("1 for the first request, +1 per retry", ge=1)
    log_id: str = Text(50, "crm_integration_log row tracking this request")
    account_id: str = Text(50)
    account_number: str = Text(50)
    account_name: str = Text(200)
    account_type: str = Text(30)
    account_owner: str | None = Opt(50)
    parent_account_id: str | None = Opt(50, "Parent account (customer hierarchy)")
    parent_customer_id: str | None = Opt(50, "The parent's ERP customer, when it has one")
    quotation_id: str | None = Opt(50, "The accepted quotation that needs the customer")


class CustomerMasterCreated(Command):
    """Master data created the ERP customer for an account (ERP fact, input to the core)."""

    AGGREGATE = "customer_master"

    account_id: str = Text(50)
    customer_id: str = Text(50, "The ERP's customer number")


class CustomerMasterRejected(Command):
    """Master data refused to create the customer (ERP fact, input to the core)."""

    AGGREGATE = "customer_master"

    account_id: str = Text(50)
    reason: str = Text(description="The ERP's error, stored verbatim")


class IntegrationRequested(Event):
    """A crm_integration_log row opened 'pending' for a request sent to the ERP."""

    AGGREGATE = "integration"

    integration_direction: str = Text(20, "crm_to_erp, crm_to_master_data")
    document_type: str = Text(50, "quotation (sales order), customer (customer master)")
    document_id: str = Text(50, "quotation_id, or account_id for a customer master")
    integration_data: str = Text(description="JSON of the request (canonical, sorted keys)")


class IntegrationHeld(Event):
    """A sales order request waits for the account's customer master: log row 'pending'."""

    AGGREGATE = "integration"

    document_id: str = Text(50, "quotation_id")
    account_id: str = Text(50)
    customer_log_id: str = Text(50, "The customer master request it waits for")
    integration_data: str = Text(description="JSON: what waits for what (canonical)")


class IntegrationReleased(Event):
    """The customer master exists: the held sales order request was sent (attempt 1)."""

    AGGREGATE = "integration"

    customer_log_id: str = Text(50, "The customer master request it waited for")
    integration_data: str = Text(description="JSON of the request sent")


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


class IntegrationCustomerCreated(Event):
    """Master data created the customer: log 'completed' (the account is linked to it)."""

    AGGREGATE = "integration"

    customer_id: str = Text(50)
    integration_data: str = Text(description="The request JSON plus the customer id")
