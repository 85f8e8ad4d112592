"""Support cases: messages, the case entity and the commands people send.

The commands' rules, SLA deadlines, escalation and the pending/resolved timers are in
`domain.cases.lifecycle`.
Statuses: new -> in_progress (first response) -> pending_customer <-> in_progress ->
resolved -> closed; `escalated` after an SLA breach. A case is *open* until resolved.
While a case waits for the customer its resolution clock is stopped (Salesforce
Entitlements' "stopped" time); `CaseSlaClockResumed` moves the resolution deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.cases.messages import (
    CaseAssigned,
    CaseClosed,
    CaseCustomerReplied,
    CaseEscalated,
    CaseMarkedPendingCustomer,
    CaseOpened,
    CaseResolved,
    CaseResponded,
    CaseSlaClockResumed,
    CaseSlaViolated,
)
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves

OPEN_STATUSES = frozenset({"new", "in_progress", "escalated", "pending_customer"})


@dataclass(frozen=True)
class Case:
    """What the case rules need to know."""

    case_id: str
    case_number: str
    account_id: str
    priority: str
    status: str
    response_due: datetime
    resolution_due: datetime
    assigned_to: str | None = None
    assigned_team: str | None = None
    first_response_at: datetime | None = None
    pending_since: datetime | None = None
    sla_paused_since: datetime | None = None
    resolved_at: datetime | None = None
    breaches: frozenset[str] = frozenset()
    escalated: bool = False

    @property
    def is_open(self) -> bool:
        """Not yet resolved or closed."""
        return self.status in OPEN_STATUSES


@evolves(CaseOpened)
def _opened(_: Case | None, e: CaseOpened) -> Case:
    return Case(e.aggregate_id, e.case_number, e.account_id, e.priority, "new",
                e.response_due_date, e.resolution_due_date, e.assigned_to, e.assigned_team)


@evolves(CaseAssigned)
def _assigned(case: Case, e: CaseAssigned) -> Case:
    return updated(case, assigned_to=e.assigned_to, assigned_team=e.assigned_team)


@evolves(CaseResponded)
def _responded(case: Case, e: CaseResponded) -> Case:
    return updated(case, first_response_at=e.first_response_date, status=e.case_status)


@evolves(CaseSlaViolated)
def _violated(case: Case, e: CaseSlaViolated) -> Case:
    return updated(case, breaches=case.breaches | {e.breach})


@evolves(CaseEscalated)
def _escalated(case: Case, e: CaseEscalated) -> Case:
    return updated(case, escalated=True, status=e.case_status)


@evolves(CaseMarkedPendingCustomer)
def _pending(case: Case, e: CaseMarkedPendingCustomer) -> Case:
    return updated(case, status="pending_customer", pending_since=e.pending_since,
                   sla_paused_since=e.pending_since if e.sla_clock_paused else None)


@evolves(CaseSlaClockResumed)
def _clock_resumed(case: Case, e: CaseSlaClockResumed) -> Case:
    return updated(case, resolution_due=e.resolution_due_date, sla_paused_since=None)


@evolves(CaseCustomerReplied)
def _replied(case: Case, e: CaseCustomerReplied) -> Case:
    return updated(case, status=e.case_status, pending_since=None)


@evolves(CaseResolved)
def _resolved(case: Case, e: CaseResolved) -> Case:
    return updated(case, status="resolved", resolved_at=e.resolved_date, pending_since=None)


@evolves(CaseClosed)
def _closed(case: Case, _: CaseClosed) -> Case:
    return updated(case, status="closed")
