"""cases and case_comments rows from case events (every row written by its case's events)."""

from __future__ import annotations

from domain.cases.messages import (
    CaseAssigned,
    CaseClosed,
    CaseCommented,
    CaseCustomerReplied,
    CaseEscalated,
    CaseMarkedPendingCustomer,
    CaseOpened,
    CaseResolved,
    CaseResponded,
    CaseSatisfactionRated,
    CaseSlaClockResumed,
    CaseSlaViolated,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _case(e: Event, **values: object) -> Upsert:
    return upsert("cases", e, {"case_id": e.aggregate_id}, updated_at=e.occurred_at, **values)


@projects(CaseOpened)
def case_opened(e: CaseOpened) -> list[Upsert]:
    """A new cases row with its SLA deadlines and assignment."""
    return [_case(e, **e.payload(), case_status="new", sla_violated=False, escalated=False,
                  created_at=e.occurred_at)]


@projects(CaseAssigned)
def case_assigned(e: CaseAssigned) -> list[Upsert]:
    """New owner."""
    return [_case(e, assigned_to=e.assigned_to, assigned_team=e.assigned_team)]


@projects(CaseResponded)
def case_responded(e: CaseResponded) -> list[Upsert]:
    """First response."""
    return [_case(e, first_response_date=e.first_response_date, case_status=e.case_status)]


@projects(CaseCommented)
def case_commented(e: CaseCommented) -> list[Upsert]:
    """A case_comments row (and the case's updated_at)."""
    return [
        upsert("case_comments", e, {"comment_id": e.comment_id}, case_id=e.aggregate_id,
               comment_text=e.comment_text, is_public=e.is_public, created_by=e.created_by,
               created_at=e.occurred_at),
        _case(e),
    ]


@projects(CaseSlaViolated)
def case_sla_violated(e: CaseSlaViolated) -> list[Upsert]:
    """A deadline was missed."""
    return [_case(e, sla_violated=True)]


@projects(CaseEscalated)
def case_escalated(e: CaseEscalated) -> list[Upsert]:
    """Escalated to a manager."""
    return [_case(e, escalated=True, escalated_to=e.escalated_to, escalated_at=e.escalated_at,
                  case_status=e.case_status)]


@projects(CaseMarkedPendingCustomer)
def case_pending(e: CaseMarkedPendingCustomer) -> list[Upsert]:
    """Waiting for the customer."""
    return [_case(e, case_status="pending_customer")]


@projects(CaseCustomerReplied)
def case_customer_replied(e: CaseCustomerReplied) -> list[Upsert]:
    """Back to work."""
    return [_case(e, case_status=e.case_status)]


@projects(CaseSlaClockResumed)
def case_clock_resumed(e: CaseSlaClockResumed) -> list[Upsert]:
    """The wait for the customer ended: the resolution deadline moved by the paused time."""
    return [_case(e, resolution_due_date=e.resolution_due_date)]


@projects(CaseResolved)
def case_resolved(e: CaseResolved) -> list[Upsert]:
    """Resolution and root cause."""
    return [_case(e, case_status="resolved", resolution=e.resolution, root_cause=e.root_cause,
                  resolved_date=e.resolved_date)]


@projects(CaseClosed)
def case_closed(e: CaseClosed) -> list[Upsert]:
    """Closed."""
    return [_case(e, case_status="closed", closed_date=e.closed_date)]


@projects(CaseSatisfactionRated)
def case_rated(e: CaseSatisfactionRated) -> list[Upsert]:
    """CSAT."""
    return [_case(e, satisfaction_rating=e.satisfaction_rating,
                  customer_feedback=e.customer_feedback)]
