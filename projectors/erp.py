"""crm_integration_log rows from the ERP bridge's integration events.

SalesOrderRequested itself is for the ERP (topic erp.sales-orders) and writes no row.
"""

from __future__ import annotations

import json

from domain.erp import (
    IntegrationCompleted,
    IntegrationFailed,
    IntegrationRequested,
    IntegrationRetried,
)
from domain.messages import Event
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


@projects(IntegrationRetried)
def retried(e: IntegrationRetried) -> list[Upsert]:
    """Sent again: back to 'pending' (the last error stays for reference)."""
    return [_log(e, integration_status="pending",
                 integration_data=json.loads(e.integration_data))]


@projects(IntegrationCompleted)
def completed(e: IntegrationCompleted) -> list[Upsert]:
    """The ERP created the order: 'completed', data with the order id and total."""
    return [_log(e, integration_status="completed",
                 integration_data=json.loads(e.integration_data))]
