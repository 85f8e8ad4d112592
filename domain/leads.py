"""Leads: capture, scoring and assignment.

Scoring is a pure function of the lead's facts and `LeadRules`; the handler only checks
the command and emits what the rule decided. Assignment after capture: the most specific
matching territory (ties: lowest territory_code) and round-robin among its active reps of
`LeadRules.assignable_roles` (by rep_code); with no matching territory, or none of its
reps available, round-robin among all such reps; with no rep at all the lead waits
unassigned. The rest of the lifecycle is in `domain.lead_lifecycle` and
`domain.lead_conversion`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from domain.campaign_members import attribute_lead, check_lead_source
from domain.core import Context, Rejected, evolves, handles
from domain.messages import Command, Date, Doc, Event, Money, Opt, Text
from domain.records import updated
from domain.rules_config import LeadRules
from domain.sales_org import active_reps, best_territory, get_rep

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


@dataclass(frozen=True)
class Lead:
    """What the rules need to know about a lead."""

    lead_id: str
    lead_number: str
    company_name: str
    lead_source: str
    industry: str | None
    company_size: str | None
    captured_at: datetime
    status: str = "new"
    score: int = 0
    grade: str = "D"
    bant: tuple[bool, bool, bool, bool] = (False, False, False, False)
    activities: int = 0
    last_contact_at: datetime | None = None
    source_campaign_id: str | None = None
    assigned_to: str | None = None
    qualification_status: str = "not_started"
    ever_qualified: bool = False
    first_contact_at: datetime | None = None
    converted: bool = False
    facts: LeadFields | None = None  # the captured facts, for assignment and conversion
    matched_account_id: str | None = None  # duplicate management (domain.lead_matching)
    matched_contact_id: str | None = None


def score_lead(lead: Lead, rules: LeadRules, now: datetime) -> tuple[int, str, str]:
    """Score 0-100, grade and the points per rule; pure."""
    parts = {
        "source": rules.source_points.get(lead.lead_source, 0),
        "size": rules.company_size_points.get(lead.company_size or "", 0),
        "industry": rules.industry_fit_points if lead.industry in rules.target_industries else 0,
        "bant": rules.bant_points_each * sum(lead.bant),
        "engagement": min(rules.engagement_points_each * lead.activities,
                          rules.engagement_points_max),
        "recency": rules.recency_points if _recent(lead, now, rules.recency_days) else 0,
    }
    score = max(0, min(100, sum(parts.values())))
    reason = " ".join(f"{name}={points}" for name, points in parts.items())
    return score, grade_for(score, rules), reason


def grade_for(score: int, rules: LeadRules) -> str:
    """A >= grade_a, B >= grade_b, C >= grade_c, else D."""
    if score >= rules.grade_a:
        return "A"
    if score >= rules.grade_b:
        return "B"
    return "C" if score >= rules.grade_c else "D"


def _recent(lead: Lead, now: datetime, days: int) -> bool:
    last = lead.last_contact_at or lead.captured_at
    return now - last <= timedelta(days=days)


@handles(CaptureLead)
def capture_lead(ctx: Context, cmd: CaptureLead) -> None:
    """Record a new lead, score and assign it, and credit its campaign.

    A lead id already in use is refused, and so is an unknown source campaign (or a
    campaign member of another campaign).
    """
    if ctx.get("lead", cmd.aggregate_id) is not None:
        raise Rejected(f"lead {cmd.aggregate_id} already exists")
    if cmd.source_campaign_id:
        check_lead_source(ctx, cmd.source_campaign_id, cmd.campaign_member_id)
    elif cmd.campaign_member_id:
        raise Rejected("a campaign_member_id needs its source_campaign_id")
    fields = cmd.payload()
    member_id = fields.pop("campaign_member_id")
    ctx.emit(LeadCaptured, cmd.aggregate_id, lead_number=ctx.next_number("LEAD"), **fields)
    rescore(ctx, cmd.aggregate_id)
    from domain.lead_matching import apply_match  # (it builds on this module)

    if not apply_match(ctx, cmd.aggregate_id, cmd):  # a duplicate is assigned and closed
        assign_lead(ctx, cmd.aggregate_id)
    if cmd.source_campaign_id:
        attribute_lead(ctx, cmd.source_campaign_id, cmd.aggregate_id, member_id)


def assign_lead(ctx: Context, lead_id: str) -> None:
    """Assign by territory round-robin, else overall round-robin, else leave unassigned."""
    lead: Lead = ctx.get("lead", lead_id)
    f = lead.facts
    values = (f.country, f.state, f.city, f.industry, f.company_size) if f else (None,) * 5
    roles = ctx.rules.leads.assignable_roles
    territory = best_territory(ctx.state, values)
    pool = active_reps(ctx.state, roles, territory.territory_id) if territory else []
    if pool and territory:
        cursor = f"lead-rr/{territory.territory_id}"
        reason = f"territory {territory.territory_code}"
    else:
        territory, pool = None, active_reps(ctx.state, roles, any_territory=True)
        cursor, reason = "lead-rr/all", "no territory rep"
    if not pool:
        return
    rep = pool[ctx.bump(cursor) % len(pool)]
    ctx.emit(LeadAssigned, lead_id, assigned_to=rep.sales_rep_id,
             territory_id=territory.territory_id if territory else None,
             assignment_reason=f"{reason}, round-robin")


@handles(AssignLead)
def assign_lead_by_hand(ctx: Context, cmd: AssignLead) -> None:
    """Reassign an open lead to an active rep."""
    lead = require_lead(ctx, cmd.aggregate_id, *OPEN)
    rep = get_rep(ctx.state, cmd.sales_rep_id)
    if rep is None or not rep.active:
        raise Rejected(f"sales rep {cmd.sales_rep_id} is not an active sales rep")
    if lead.assigned_to != rep.sales_rep_id:
        ctx.emit(LeadAssigned, lead.lead_id, assigned_to=rep.sales_rep_id,
                 territory_id=rep.territory_id, assignment_reason="assigned by hand")


OPEN = ("new", "contacted", "nurturing", "qualified", "unqualified")
"""Statuses in which a lead can still be worked (not converted, not lost)."""


def require_lead(ctx: Context, lead_id: str, *statuses: str) -> Lead:
    """The lead, in one of `statuses` (any if none given), or a rejection saying why."""
    lead: Lead | None = ctx.get("lead", lead_id)
    if lead is None:
        raise Rejected(f"lead {lead_id} does not exist")
    if statuses and lead.status not in statuses:
        raise Rejected(f"lead {lead_id} is {lead.status}")
    return lead


def rescore(ctx: Context, lead_id: str) -> None:
    """Emit LeadScored when the score or grade changed (or the lead was never scored)."""
    lead: Lead = ctx.get("lead", lead_id)
    score, grade, reason = score_lead(lead, ctx.rules.leads, ctx.now)
    if lead.status == "new" and lead.score == 0 or (score, grade) != (lead.score, lead.grade):
        ctx.emit(LeadScored, lead_id, lead_score=score, lead_grade=grade, score_reason=reason)


@evolves(LeadCaptured)
def _captured(_: Lead | None, e: LeadCaptured) -> Lead:
    return Lead(e.aggregate_id, e.lead_number, e.company_name, e.lead_source, e.industry,
                e.company_size, e.occurred_at, source_campaign_id=e.source_campaign_id,
                facts=e)


@evolves(LeadScored)
def _scored(lead: Lead, e: LeadScored) -> Lead:
    return updated(lead, score=e.lead_score, grade=e.lead_grade)


@evolves(LeadAssigned)
def _assigned(lead: Lead, e: LeadAssigned) -> Lead:
    return updated(lead, assigned_to=e.assigned_to)
