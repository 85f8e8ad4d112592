"""Leads: capture and scoring (the walking skeleton's slice).

Scoring is a pure function of the lead's facts and `LeadRules`; the handler only checks
the command and emits what the rule decided.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from domain.core import Context, Rejected, evolves, handles
from domain.messages import Command, Date, Doc, Event, Money, Opt, Text
from domain.rules_config import LeadRules

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
    """Record a new lead and score it; a lead id already in use is refused."""
    if ctx.get("lead", cmd.aggregate_id) is not None:
        raise Rejected(f"lead {cmd.aggregate_id} already exists")
    fields = cmd.payload()
    ctx.emit(LeadCaptured, cmd.aggregate_id, lead_number=ctx.next_number("LEAD"), **fields)
    rescore(ctx, cmd.aggregate_id)


def rescore(ctx: Context, lead_id: str) -> None:
    """Emit LeadScored when the score or grade changed (or the lead was never scored)."""
    lead: Lead = ctx.get("lead", lead_id)
    score, grade, reason = score_lead(lead, ctx.rules.leads, ctx.now)
    if lead.status == "new" and lead.score == 0 or (score, grade) != (lead.score, lead.grade):
        ctx.emit(LeadScored, lead_id, lead_score=score, lead_grade=grade, score_reason=reason)


@evolves(LeadCaptured)
def _captured(_: Lead | None, e: LeadCaptured) -> Lead:
    return Lead(e.aggregate_id, e.lead_number, e.company_name, e.lead_source, e.industry,
                e.company_size, e.occurred_at)


@evolves(LeadScored)
def _scored(lead: Lead, e: LeadScored) -> Lead:
    return replace(lead, score=e.lead_score, grade=e.lead_grade)


