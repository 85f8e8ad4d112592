"""The lead as the rules see it, how its events evolve it, and how rules require an open one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves
from domain.leads.messages import LeadAssigned, LeadCaptured, LeadFields, LeadScored


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
    matched_account_id: str | None = None  # duplicate management (domain.leads.matching)
    matched_contact_id: str | None = None


OPEN = ("new", "contacted", "nurturing", "qualified", "unqualified")
"""Statuses in which a lead can still be worked (not converted, not lost)."""


def require_lead(ctx: Context, lead_id: str, *statuses: str) -> Lead:
    """The lead, in one of `statuses` (any if none given), or a rejection saying why."""
    lead: Lead = require(ctx, "lead", lead_id)
    if statuses and lead.status not in statuses:
        raise Rejected(f"lead {lead_id} is {lead.status}")
    return lead


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
