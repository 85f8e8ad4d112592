"""Service case commands and events (rules in domain.cases.lifecycle and domain.cases.sla)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import Command, Doc, Event, Opt, Text, Timestamp

CaseType = Literal["question", "problem", "feature_request", "complaint"]
CaseCategory = Literal["technical", "billing", "delivery", "quality", "other"]
Priority = Literal["critical", "high", "medium", "low"]
CaseStatus = Literal["new", "in_progress", "escalated", "pending_customer", "resolved", "closed"]
Breach = Literal["response", "resolution"]


class CaseFields(BaseModel):
    """What a customer reports (shared by the command and the event)."""

    account_id: str = Text(50)
    contact_id: str | None = Opt(50)
    subject: str = Text(200)
    description: str = Field(description="Free text, stored verbatim")
    case_type: CaseType | None = None
    case_category: CaseCategory | None = None
    priority: Priority = "medium"
    related_product: str | None = Opt(200)
    related_order_id: str | None = Opt(50)
    created_by: str | None = Opt(50)


class OpenCase(Command, CaseFields):
    """A customer reports a question, problem, complaint or feature request."""

    AGGREGATE = "case"


class CaseOpened(Event, CaseFields):
    """A case was opened with its SLA deadlines and first assignment."""

    AGGREGATE = "case"

    case_number: str = Text(50, "CASE-000001")
    sla_response_hours: int
    sla_resolution_hours: int
    response_due_date: Timestamp
    resolution_due_date: Timestamp
    assigned_to: str | None = Opt(50, "Support rep (round-robin)")
    assigned_team: str | None = Opt(50, "Team by case category")


class AssignCase(Command):
    """Give the case to a support rep and/or team."""

    AGGREGATE = "case"

    assigned_to: str | None = Opt(50)
    assigned_team: str | None = Opt(50)


class CaseAssigned(Event):
    """The case's owner changed."""

    AGGREGATE = "case"

    assigned_to: str | None = Opt(50)
    assigned_team: str | None = Opt(50)


class RespondToCase(Command):
    """Support answered the customer for the first time."""

    AGGREGATE = "case"


class CaseResponded(Event):
    """The first response was given."""

    AGGREGATE = "case"

    first_response_date: Timestamp
    case_status: CaseStatus


class CommentOnCase(Command):
    """Add a comment to the case's discussion."""

    AGGREGATE = "case"

    comment_text: str = Field(min_length=1, description="Free text, stored verbatim")
    is_public: bool = Field(default=True, description="Visible to the customer")
    created_by: str | None = Opt(50)


class CaseCommented(Event):
    """A comment was added (a case_comments row)."""

    AGGREGATE = "case"

    comment_id: str = Text(50)
    comment_text: str = Field(description="Verbatim")
    is_public: bool = True
    created_by: str | None = Opt(50)


class CaseSlaViolated(Event):
    """A response or resolution deadline passed without the response or resolution."""

    AGGREGATE = "case"

    breach: Breach
    due_date: Timestamp = Doc("The deadline that was missed")


class CaseEscalated(Event):
    """An SLA breach escalated the case to a manager."""

    AGGREGATE = "case"

    escalated_to: str | None = Opt(50, "Manager (none when no manager is known)")
    escalated_at: Timestamp
    case_status: CaseStatus
    breach: Breach


class SetCasePendingCustomer(Command):
    """Support waits for the customer (information, confirmation)."""

    AGGREGATE = "case"


class CaseMarkedPendingCustomer(Event):
    """The case waits for the customer; it auto-resolves if no reply comes."""

    AGGREGATE = "case"

    pending_since: Timestamp
    sla_clock_paused: bool = Field(
        default=False,
        description="The resolution clock stopped here (false when it had already run out)")


class CaseSlaClockResumed(Event):
    """The wait for the customer ended (reply, resolution or close): the resolution
    deadline moves later by the time the clock was stopped."""

    AGGREGATE = "case"

    paused_since: Timestamp = Doc("When the clock stopped (the case went pending)")
    resumed_at: Timestamp = Doc("When the wait ended")
    resolution_due_date: Timestamp = Doc("The resolution deadline, moved by the paused time")


class CustomerRepliedToCase(Command):
    """The customer answered a case that was waiting for them."""

    AGGREGATE = "case"


class CaseCustomerReplied(Event):
    """The customer replied; the case is worked on again."""

    AGGREGATE = "case"

    case_status: CaseStatus


class ResolveCase(Command):
    """Support solved the case."""

    AGGREGATE = "case"

    resolution: str = Field(min_length=1, description="Free text, stored verbatim")
    root_cause: str | None = Opt(200)


class CaseResolved(Event):
    """The case was resolved (by support, or automatically after no customer reply)."""

    AGGREGATE = "case"

    resolution: str = Field(description="Verbatim")
    root_cause: str | None = Opt(200)
    resolved_date: Timestamp
    auto_resolved: bool = False


class CloseCase(Command):
    """Close the case for good."""

    AGGREGATE = "case"


class CaseClosed(Event):
    """The case was closed."""

    AGGREGATE = "case"

    closed_date: Timestamp


class RateCaseSatisfaction(Command):
    """The customer rated a resolved or closed case (CSAT)."""

    AGGREGATE = "case"

    satisfaction_rating: int = Doc("CSAT 1-5", ge=1, le=5)
    customer_feedback: str | None = Opt(description="Free text, stored verbatim")


class CaseSatisfactionRated(Event):
    """The customer's CSAT rating."""

    AGGREGATE = "case"

    satisfaction_rating: int = Doc("CSAT 1-5", ge=1, le=5)
    customer_feedback: str | None = Opt()
