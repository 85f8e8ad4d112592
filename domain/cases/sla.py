"""Case SLA entitlements: breach detection, escalation and the stopped resolution clock.

Breach semantics: a deadline is met by a response/resolution at or before it; a breach
is detected on the first clock tick strictly after it (timers are set 1 microsecond past
the deadline), or when the response/resolution itself comes late. Each breach type is
recorded once per case: a late response or resolution after a tick already recorded the
breach emits nothing (account health counts `CaseSlaViolated` events).

Stopped time (Salesforce Entitlements: a case whose status stops the milestone clock):
while a case is `pending_customer` the resolution clock does not run, no resolution
breach or escalation happens, and when the wait ends (customer reply, resolution, close)
the resolution deadline moves later by the paused time (`CaseSlaClockResumed`; in a
business-hours calendar, by the paused business time). A case
whose clock had already run out when it went pending is not paused: its deadline is
history and the breach stands. Timers carry only the case id; a timer whose deadline has
since moved finds `now <= resolution_due` (or the case paused) and does nothing."""

from __future__ import annotations

from datetime import timedelta

from domain.calendars.business_hours import add_business_time, business_time_between, calendar_for
from domain.cases.entities import Case
from domain.cases.messages import CaseEscalated, CaseSlaClockResumed, CaseSlaViolated
from domain.kernel.context import Context
from domain.kernel.rulebook import on_timer
from domain.kernel.state import CrmState
from domain.sales_org.org_chart import rep_manager, rep_with_role

JUST_AFTER = timedelta(microseconds=1)


def escalation_target(state: CrmState, case: Case, role: str) -> str | None:
    """The assignee's manager, else the first active rep with the escalation role."""
    manager = rep_manager(state, case.assigned_to) if case.assigned_to else None
    return manager or rep_with_role(state, role, None)


def clock_running(case: Case) -> bool:
    """Whether the resolution clock is running (not stopped while pending the customer)."""
    return case.sla_paused_since is None


def can_pause(ctx: Context, case: Case) -> bool:
    """The clock stops only if it has not run out yet (at the deadline itself is in time).

    A recorded resolution breach implies the deadline has passed (a breached case is
    never paused, so its deadline never moves again)."""
    return ctx.now <= case.resolution_due


def resume_clock(ctx: Context, case: Case, reschedule: bool) -> Case:
    """End a pause, if any: move the resolution deadline by the paused time.

    Returns the case as it now is. `reschedule` sets the resolution timer for the moved
    deadline (the case stays open).
    """
    if case.sla_paused_since is not None:
        # The clock keeps the (business) time that was left when it stopped; around the
        # clock this is the old deadline plus the paused time.
        calendar = calendar_for(ctx.rules.cases, case.priority)
        left = business_time_between(calendar, case.sla_paused_since, case.resolution_due)
        due = add_business_time(calendar, ctx.now, left)
        ctx.emit(CaseSlaClockResumed, case.case_id, paused_since=case.sla_paused_since,
                 resumed_at=ctx.now, resolution_due_date=due)
        if reschedule:
            ctx.schedule(due + JUST_AFTER, "case_resolution_sla", case.case_id)
    current: Case = ctx.get("case", case.case_id)
    return current


def record_late(ctx: Context, case: Case, breach: str) -> None:
    """A response/resolution given after its deadline: a breach, unless already recorded."""
    due = case.response_due if breach == "response" else case.resolution_due
    if ctx.now > due and breach not in case.breaches:
        ctx.emit(CaseSlaViolated, case.case_id, breach=breach, due_date=due)


@on_timer("case_response_sla")
def response_deadline(ctx: Context, case_id: str) -> None:
    """Still unanswered after the response deadline: breach and escalate."""
    case: Case | None = ctx.get("case", case_id)
    if case and case.is_open and case.first_response_at is None and ctx.now > case.response_due:
        _breach(ctx, case, "response")


@on_timer("case_resolution_sla")
def resolution_deadline(ctx: Context, case_id: str) -> None:
    """Still unresolved after the (possibly moved) resolution deadline, clock running:
    breach and escalate. Stale timers (deadline moved, clock stopped) do nothing."""
    case: Case | None = ctx.get("case", case_id)
    if case and case.is_open and clock_running(case) and ctx.now > case.resolution_due:
        _breach(ctx, case, "resolution")


def _breach(ctx: Context, case: Case, breach: str) -> None:
    if breach in case.breaches:
        return
    due = case.response_due if breach == "response" else case.resolution_due
    ctx.emit(CaseSlaViolated, case.case_id, breach=breach, due_date=due)
    if case.escalated:
        return
    # A case waiting for the customer (its clock ran out before the wait) keeps that
    # status: the auto-resolve rule needs it.
    status = case.status if case.status == "pending_customer" else "escalated"
    ctx.emit(CaseEscalated, case.case_id, breach=breach, escalated_at=ctx.now, case_status=status,
             escalated_to=escalation_target(ctx.state, case, ctx.rules.cases.escalation_role))
