"""crm_integration_log rows from the ERP bridge's integration events.

SalesOrderRequested and CustomerMasterRequested themselves are for the ERP (topics
erp.sales-orders, erp.customer-masters) and write no row. Rows: one per quotation
(crm_to_erp, quotation) and one per account's customer master (crm_to_master_data,
customer); statuses pending, completed, error (retries: retry_count and last_retry_at).
"""

from __future__ import annotations

import json

from domain.erp.messages import (
    IntegrationCompleted,
    IntegrationCustomerCreated,
    IntegrationFailed,
    IntegrationHeld,
    IntegrationReleased,
    IntegrationRequested,
    IntegrationRetried,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _log(e: Event, **values: object) -> Upsert:
    return upsert("crm_integration_log", e, {"log_id": e.aggregate_id}, **values)


@projects(IntegrationRequested)
def requested(e: IntegrationRequested) -> list[Upsert]:
    """A 'pending' row with the request as JSON."""
    return [_log(e, log_timestamp=e.occurred_at, integration_direction=e.integration_direction,
                 document_type=e.document_type, document_id=e.document_id,
                 integration_status="pending", error_message=None,
                 integration_data=json.loads(e.integration_data), retry_count=0,
                 last_retry_at=None)]


@projects(IntegrationFailed)
def failed(e: IntegrationFailed) -> list[Upsert]:
    """'error' with the ERP's reason and the retry count."""
    return [_log(e, integration_status="error", error_message=e.error_message,
                 retry_count=e.retry_count, last_retry_at=e.last_retry_at)]


@projects(IntegrationHeld)
def held(e: IntegrationHeld) -> list[Upsert]:
    """A 'pending' sales order row that waits for the account's customer master."""
    return [_log(e, log_timestamp=e.occurred_at, integration_direction="crm_to_erp",
                 document_type="quotation", document_id=e.document_id,
                 integration_status="pending", error_message=None,
                 integration_data=json.loads(e.integration_data), retry_count=0,
                 last_retry_at=None)]


@projects(IntegrationReleased)
def released(e: IntegrationReleased) -> list[Upsert]:
    """The customer master exists and the request went out: still 'pending', data = it."""
    return [_log(e, integration_status="pending",
                 integration_data=json.loads(e.integration_data))]


@projects(IntegrationRetried)
def retried(e: IntegrationRetried) -> list[Upsert]:
    """Sent again: back to 'pending', last_retry_at = now (the last error stays)."""
    return [_log(e, integration_status="pending", last_retry_at=e.occurred_at,
                 integration_data=json.loads(e.integration_data))]


@projects(IntegrationCompleted, IntegrationCustomerCreated)
def completed(e: IntegrationCompleted | IntegrationCustomerCreated) -> list[Upsert]:
    """The ERP created the order (or customer): 'completed', data with its id."""
    return [_log(e, integration_status="completed",
                 integration_data=json.loads(e.integration_data))]
