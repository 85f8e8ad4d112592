"""Lead commands and events: capture, scoring, assignment, the lead's activities and
status (rules in domain.leads.capture, scoring, assignment, lifecycle, matching).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import Command, Date, Doc, Event, Money, Opt, Text, Timestamp

LeadSource = Literal["website", "referral", "trade_show", "cold_call", "social_media", "partner"]
CompanySize = Literal["startup", "small", "medium", "large", "enterprise"]


class LeadFields(BaseModel):
    """The facts a capture carries (shared by the command and the event)."""

    company_name: str = Text(200, "Company the lead works for")
    lead_source: LeadSource
    source_campaign_id: str | None = Opt(50, "Campaign that produced the lead")
    contact_first_name: str | None = Opt(100)
    contact_last_name: str | None = Opt(100)
    contact_title: str | None = Opt(100)
    email: str | None = Opt(100)
    phone: str | None = Opt(50)
    mobile: str | None = Opt(50)
    industry: str | None = Opt(100)
    company_size: CompanySize | None = None
    annual_revenue_range: str | None = Opt(50)
    number_of_employees: int | None = Opt(description="Head count")
    address_line1: str | None = Opt(200)
    address_line2: str | None = Opt(200)
    city: str | None = Opt(100)
    state: str | None = Opt(100)
    country: str = Field(default="India", max_length=50)
    postal_code: str | None = Opt(20)
    product_interest: str | None = Opt(200)
    estimated_deal_value: Money | None = Opt(description="INR")
    expected_close_date: Date | None = None
    description: str | None = Opt(description="Free text, stored verbatim")
    created_by: str | None = Opt(50)


class CaptureLead(Command, LeadFields):
    """A web form, trade-show scan, referral... asks the CRM to record a new lead."""

    AGGREGATE = "lead"

    campaign_member_id: str | None = Opt(50, "Campaign member whose response produced it")


class LeadCaptured(Event, LeadFields):
    """A new lead was recorded."""

    AGGREGATE = "lead"

    lead_number: str = Text(50, "Human-readable number, LEAD-000001")


class LeadScored(Event):
    """The scoring rule gave the lead a score 0-100 and a grade A-D."""

    AGGREGATE = "lead"

    lead_score: int = Doc("0-100", ge=0, le=100)
    lead_grade: Literal["A", "B", "C", "D"]
    score_reason: str = Text(500, "Points per scoring rule, e.g. 'source=20 size=12'")


class AssignLead(Command):
    """A manager hands the lead to a sales rep."""

    AGGREGATE = "lead"

    sales_rep_id: str = Text(50)


class LeadAssigned(Event):
    """The lead has an owner (by territory, round-robin or by hand)."""

    AGGREGATE = "lead"

    assigned_to: str = Text(50, "sales_rep_id")
    territory_id: str | None = Opt(50, "Territory that matched, if any")
    assignment_reason: str = Text(200, "e.g. 'territory NORTH round-robin'")

ActivityType = Literal["call", "email", "meeting", "demo", "site_visit", "follow_up"]
Outcome = Literal["completed", "no_answer", "left_message", "scheduled_follow_up"]
LeadStatus = Literal[
    "new", "contacted", "qualified", "unqualified", "nurturing", "converted", "lost"
]


class LogLeadActivity(Command):
    """A rep called, mailed, met... the lead."""

    AGGREGATE = "lead"

    activity_type: ActivityType
    subject: str | None = Opt(200)
    description: str | None = Opt(description="Free text, stored verbatim")
    activity_date: Timestamp | None = Opt(description="Defaults to the command's time")
    duration_minutes: int | None = Opt(description="Minutes")
    outcome: Outcome | None = None
    next_action: str | None = Opt(200)
    next_action_date: Date | None = None
    performed_by: str | None = Opt(50, "sales_rep_id")


class LeadActivityLogged(Event):
    """An activity with the lead; contact figures are the new absolute values."""

    AGGREGATE = "lead"

    activity_id: str = Text(50)
    activity_type: ActivityType
    subject: str | None = Opt(200)
    description: str | None = Opt()
    activity_date: Timestamp
    duration_minutes: int | None = Opt()
    outcome: Outcome | None = None
    next_action: str | None = Opt(200)
    next_action_date: Date | None = None
    performed_by: str | None = Opt(50)
    contact_attempts: int = Doc("Activities logged so far", ge=0)
    first_contact_date: Timestamp
    last_contact_date: Timestamp
    lead_status: LeadStatus


class AssessLeadBant(Command):
    """Record the current BANT answers (all four, absolute)."""

    AGGREGATE = "lead"

    has_budget: bool
    is_decision_maker: bool
    has_identified_need: bool
    has_timeline: bool


class LeadBantAssessed(Event):
    """BANT answers recorded; qualification is in progress (unless already qualified)."""

    AGGREGATE = "lead"

    has_budget: bool
    is_decision_maker: bool
    has_identified_need: bool
    has_timeline: bool
    qualification_status: Literal["in_progress", "qualified"]


class LeadQualified(Event):
    """Score and BANT reached the qualification thresholds."""

    AGGREGATE = "lead"

    lead_score: int = Doc("Score at qualification", ge=0, le=100)
    bant_count: int = Doc("BANT answers that are yes", ge=0, le=4)


class DisqualifyLead(Command):
    """Decide the lead is not a fit."""

    AGGREGATE = "lead"

    reason: str = Text(500, "Why, stored verbatim")


class LeadDisqualified(Event):
    """The lead is unqualified."""

    AGGREGATE = "lead"

    reason: str = Text(500)


class NurtureLead(Command):
    """Keep the lead warm for later (not ready to buy now)."""

    AGGREGATE = "lead"

    reason: str | None = Opt(500)


class LeadNurtured(Event):
    """The lead is being nurtured."""

    AGGREGATE = "lead"

    reason: str | None = Opt(500)


class MarkLeadLost(Command):
    """Give the lead up (went elsewhere, no response...)."""

    AGGREGATE = "lead"

    reason: str = Text(500, "Why, stored verbatim")


class LeadLost(Event):
    """The lead is lost and no longer active."""

    AGGREGATE = "lead"

    reason: str = Text(500)

MatchRule = Literal["open_lead", "contact", "account"]


class LeadMatched(Event):
    """The matching rule found the lead's person or company already in the CRM."""

    AGGREGATE = "lead"

    match_rule: MatchRule
    duplicate_of_lead_id: str | None = Opt(50, "Open lead this one duplicates (open_lead)")
    account_id: str | None = Opt(50, "Existing account the lead belongs to")
    contact_id: str | None = Opt(50, "Existing contact who sent the lead")
    match_reason: str = Text(200, "e.g. 'same e-mail as LEAD-000123'")


class ConvertLead(Command):
    """A rep converts a qualified lead into account + contact + opportunity."""

    AGGREGATE = "lead"

    converted_by: str = Text(50, "sales_rep_id of the rep converting")
    account_id: str | None = Opt(50, "Convert into this existing account instead of matching")
    opportunity_name: str | None = Opt(200, "Defaults to '<company> - <product interest>'")


class LeadConverted(Event):
    """The lead was converted; it links the account, contact and opportunity."""

    AGGREGATE = "lead"

    account_id: str = Text(50)
    contact_id: str | None = Opt(50)
    opportunity_id: str = Text(50)
    account_created: bool
    converted_by: str = Text(50)
