"""Case rules: opening with SLA deadlines and auto-assignment, the support workflow, and
the pending/resolved timers (auto-resolve while pending, auto-close).

SLA breaches, escalation and the resolution clock stopped while pending the customer
are in `domain.cases.sla`."""

from __future__ import annotations

from datetime import timedelta

from domain.calendars.business_hours import add_business_time, calendar_for
from domain.cases.entities import Case
from domain.cases.messages import (
    AssignCase,
    CaseAssigned,
    CaseClosed,
    CaseCommented,
    CaseCustomerReplied,
    CaseMarkedPendingCustomer,
    CaseOpened,
    CaseResolved,
    CaseResponded,
    CaseSatisfactionRated,
    CloseCase,
    CommentOnCase,
    CustomerRepliedToCase,
    OpenCase,
    RateCaseSatisfaction,
    ResolveCase,
    RespondToCase,
    SetCasePendingCustomer,
)
from domain.cases.sla import JUST_AFTER, can_pause, record_late, resume_clock
from domain.kernel.context import Context, Rejected, require
from domain.kernel.rulebook import handles, on_timer
from domain.kernel.state import CrmState
from domain.sales_org.messages import SalesRole
from domain.sales_org.org_chart import active_reps

AUTO_RESOLUTION = "Auto-resolved: no reply from the customer within {days} days while pending."


def support_reps(state: CrmState, role: str) -> list[str]:
    """Active reps with the support role (by rep_code); all active reps when none has it."""
    reps = active_reps(state, (role,), any_territory=True)
    if not reps:
        reps = active_reps(state, SalesRole.__args__, any_territory=True)  # type: ignore[attr-defined]
    return [rep.sales_rep_id for rep in reps]


def _open_case(ctx: Context, case_id: str, action: str) -> Case:
    case = require(ctx, "case", case_id)
    if not case.is_open:
        raise Rejected(f"cannot {action}: case {case.case_number} is {case.status}")
    return case


@handles(OpenCase)
def open_case(ctx: Context, cmd: OpenCase) -> None:
    """Open a case: number, SLA deadlines by priority (in its calendar), team by category,
    round-robin rep."""
    if ctx.get("case", cmd.aggregate_id) is not None:
        raise Rejected(f"case {cmd.aggregate_id} already exists")
    if ctx.state.versions.get(("account", cmd.account_id), 0) == 0:
        raise Rejected(f"account {cmd.account_id} does not exist")
    rules = ctx.rules.cases
    response_hours, resolution_hours = rules.sla_hours[cmd.priority]
    reps = support_reps(ctx.state, rules.support_role)
    assignee = reps[ctx.bump("case_assignment") % len(reps)] if reps else None
    team = rules.team_by_category.get(cmd.case_category or "other", rules.default_team)
    # The SLA hours count in the priority's calendar (24x7 or business hours).
    calendar = calendar_for(rules, cmd.priority)
    response_due = add_business_time(calendar, ctx.now, timedelta(hours=response_hours))
    resolution_due = add_business_time(calendar, ctx.now, timedelta(hours=resolution_hours))
    ctx.emit(CaseOpened, cmd.aggregate_id, **cmd.payload(), case_number=ctx.next_number("CASE"),
             sla_response_hours=response_hours, sla_resolution_hours=resolution_hours,
             response_due_date=response_due, resolution_due_date=resolution_due,
             assigned_to=assignee, assigned_team=team)
    ctx.schedule(response_due + JUST_AFTER, "case_response_sla", cmd.aggregate_id)
    ctx.schedule(resolution_due + JUST_AFTER, "case_resolution_sla", cmd.aggregate_id)


@handles(AssignCase)
def assign_case(ctx: Context, cmd: AssignCase) -> None:
    """Reassign an open case to a rep and/or team."""
    case = _open_case(ctx, cmd.aggregate_id, "assign")
    if cmd.assigned_to is None and cmd.assigned_team is None:
        raise Rejected("assign a rep or a team")
    ctx.emit(CaseAssigned, case.case_id, assigned_to=cmd.assigned_to or case.assigned_to,
             assigned_team=cmd.assigned_team or case.assigned_team)


@handles(RespondToCase)
def respond_to_case(ctx: Context, cmd: RespondToCase) -> None:
    """The first response; refused on a resolved/closed case or when already answered."""
    case = _open_case(ctx, cmd.aggregate_id, "respond")
    if case.first_response_at is not None:
        raise Rejected(f"case {case.case_number} already had its first response")
    _first_response(ctx, case)


def _first_response(ctx: Context, case: Case) -> None:
    status = "in_progress" if case.status == "new" else case.status
    ctx.emit(CaseResponded, case.case_id, first_response_date=ctx.now, case_status=status)
    record_late(ctx, case, "response")


@handles(CommentOnCase)
def comment_on_case(ctx: Context, cmd: CommentOnCase) -> None:
    """A case_comments row, text verbatim; refused on a closed case."""
    case = require(ctx, "case", cmd.aggregate_id)
    if case.status == "closed":
        raise Rejected(f"cannot comment: case {case.case_number} is closed")
    ctx.emit(CaseCommented, case.case_id, comment_id=ctx.new_id("CMT"), **cmd.payload())


@handles(SetCasePendingCustomer)
def set_pending_customer(ctx: Context, cmd: SetCasePendingCustomer) -> None:
    """Wait for the customer (asking them counts as the first response); the resolution
    clock stops unless it has already run out."""
    case = _open_case(ctx, cmd.aggregate_id, "wait for the customer")
    if case.status == "pending_customer":
        raise Rejected(f"case {case.case_number} is already pending the customer")
    if case.first_response_at is None:
        _first_response(ctx, case)
    ctx.emit(CaseMarkedPendingCustomer, case.case_id, pending_since=ctx.now,
             sla_clock_paused=can_pause(ctx, case))
    days = ctx.rules.cases.auto_resolve_pending_days
    ctx.schedule(ctx.now + timedelta(days=days), "case_auto_resolve", case.case_id)


@handles(CustomerRepliedToCase)
def customer_replied(ctx: Context, cmd: CustomerRepliedToCase) -> None:
    """The customer answered: back to in_progress, the resolution clock runs again."""
    case = require(ctx, "case", cmd.aggregate_id)
    if case.status != "pending_customer":
        raise Rejected(f"case {case.case_number} is {case.status}, not waiting for the customer")
    resume_clock(ctx, case, reschedule=True)
    ctx.emit(CaseCustomerReplied, case.case_id, case_status="in_progress")


@handles(ResolveCase)
def resolve_case(ctx: Context, cmd: ResolveCase) -> None:
    """Resolve an open case (late resolution is an SLA breach); closes 3 days later."""
    case = _open_case(ctx, cmd.aggregate_id, "resolve")
    if case.first_response_at is None:
        _first_response(ctx, case)
    case = _resolve(ctx, case, cmd.resolution, cmd.root_cause, auto=False)
    record_late(ctx, case, "resolution")


def _resolve(ctx: Context, case: Case, resolution: str, root_cause: str | None,
             auto: bool) -> Case:
    """Resolve (ending any pause first, so the deadline has moved); the case before
    `CaseResolved`, i.e. with the deadline the resolution is measured against."""
    case = resume_clock(ctx, case, reschedule=False)
    ctx.emit(CaseResolved, case.case_id, resolution=resolution, root_cause=root_cause,
             resolved_date=ctx.now, auto_resolved=auto)
    days = ctx.rules.cases.close_after_resolved_days
    ctx.schedule(ctx.now + timedelta(days=days), "case_auto_close", case.case_id)
    return case


@handles(CloseCase)
def close_case(ctx: Context, cmd: CloseCase) -> None:
    """Close a case (normally a resolved one); a closed case is refused."""
    case = require(ctx, "case", cmd.aggregate_id)
    if case.status == "closed":
        raise Rejected(f"case {case.case_number} is already closed")
    resume_clock(ctx, case, reschedule=False)
    ctx.emit(CaseClosed, case.case_id, closed_date=ctx.now)


@handles(RateCaseSatisfaction)
def rate_case(ctx: Context, cmd: RateCaseSatisfaction) -> None:
    """CSAT 1-5, only for resolved or closed cases."""
    case = require(ctx, "case", cmd.aggregate_id)
    if case.status not in ("resolved", "closed"):
        raise Rejected(f"case {case.case_number} is {case.status}: rate it once resolved")
    ctx.emit(CaseSatisfactionRated, case.case_id, **cmd.payload())


@on_timer("case_auto_resolve")
def auto_resolve(ctx: Context, case_id: str) -> None:
    """Pending the customer for the full period without a reply: resolve it."""
    case: Case | None = ctx.get("case", case_id)
    days = ctx.rules.cases.auto_resolve_pending_days
    if (case and case.status == "pending_customer" and case.pending_since is not None
            and ctx.now >= case.pending_since + timedelta(days=days)):
        _resolve(ctx, case, AUTO_RESOLUTION.format(days=days), None, auto=True)


@on_timer("case_auto_close")
def auto_close(ctx: Context, case_id: str) -> None:
    """Resolved for the full period: close it."""
    case: Case | None = ctx.get("case", case_id)
    days = ctx.rules.cases.close_after_resolved_days
    if (case and case.status == "resolved" and case.resolved_at is not None
            and ctx.now >= case.resolved_at + timedelta(days=days)):
        ctx.emit(CaseClosed, case.case_id, closed_date=ctx.now)
