"""Lead lifecycle after capture: activities, BANT, qualification, nurturing, loss.

Every change that feeds the score (an activity, a BANT assessment) rescores the lead and
then checks qualification: a lead in new/contacted/nurturing with score >= 60 and at least
3 of 4 BANT answers becomes qualified automatically (thresholds in `LeadRules`). A
qualified lead stays qualified if later facts lower its score: qualification is a
milestone, undone only by an explicit DisqualifyLead."""

from __future__ import annotations

from domain.campaigns.lifecycle import record_campaign_outcome
from domain.kernel.context import Context
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles
from domain.leads.entities import OPEN, Lead, require_lead
from domain.leads.messages import (
    AssessLeadBant,
    DisqualifyLead,
    LeadActivityLogged,
    LeadBantAssessed,
    LeadDisqualified,
    LeadLost,
    LeadNurtured,
    LeadQualified,
    LogLeadActivity,
    MarkLeadLost,
    NurtureLead,
)
from domain.leads.scoring import rescore

QUALIFIABLE = ("new", "contacted", "nurturing")
ASSESSABLE = ("new", "contacted", "nurturing", "qualified")


def qualifies(lead: Lead, min_score: int, min_bant: int) -> bool:
    """Score and BANT both at or over their thresholds."""
    return lead.score >= min_score and sum(lead.bant) >= min_bant


def maybe_qualify(ctx: Context, lead_id: str) -> None:
    """Qualify the lead if it now meets the thresholds; credit its campaign the first time."""
    lead: Lead = ctx.get("lead", lead_id)
    rules = ctx.rules.leads
    if lead.status not in QUALIFIABLE or not qualifies(lead, rules.qualify_min_score,
                                                       rules.qualify_min_bant):
        return
    first_time = not lead.ever_qualified
    ctx.emit(LeadQualified, lead_id, lead_score=lead.score, bant_count=sum(lead.bant))
    if first_time and lead.source_campaign_id:
        record_campaign_outcome(ctx, lead.source_campaign_id, lead_qualified=True)


@handles(LogLeadActivity)
def log_activity(ctx: Context, cmd: LogLeadActivity) -> None:
    """Log an activity on an open lead: a new lead becomes contacted; rescore; qualify."""
    lead = require_lead(ctx, cmd.aggregate_id, *OPEN)
    when = cmd.activity_date or ctx.now
    fields = cmd.payload()
    fields["activity_date"] = when
    ctx.emit(LeadActivityLogged, lead.lead_id, activity_id=ctx.new_id("LACT", lead.lead_id),
             contact_attempts=lead.activities + 1,
             first_contact_date=min(when, lead.first_contact_at or when),
             last_contact_date=max(when, lead.last_contact_at or when),
             lead_status="contacted" if lead.status == "new" else lead.status, **fields)
    rescore(ctx, lead.lead_id)
    maybe_qualify(ctx, lead.lead_id)


@handles(AssessLeadBant)
def assess_bant(ctx: Context, cmd: AssessLeadBant) -> None:
    """Record BANT on a lead that can still qualify (or is qualified); rescore; qualify."""
    lead = require_lead(ctx, cmd.aggregate_id, *ASSESSABLE)
    status = "qualified" if lead.status == "qualified" else "in_progress"
    ctx.emit(LeadBantAssessed, lead.lead_id, qualification_status=status, **cmd.payload())
    rescore(ctx, lead.lead_id)
    maybe_qualify(ctx, lead.lead_id)


@handles(DisqualifyLead)
def disqualify(ctx: Context, cmd: DisqualifyLead) -> None:
    """Disqualify a lead that is still being worked."""
    require_lead(ctx, cmd.aggregate_id, "new", "contacted", "nurturing", "qualified")
    ctx.emit(LeadDisqualified, cmd.aggregate_id, reason=cmd.reason)


@handles(NurtureLead)
def nurture(ctx: Context, cmd: NurtureLead) -> None:
    """Move a lead to nurturing (also a disqualified one, to try again later)."""
    require_lead(ctx, cmd.aggregate_id, "new", "contacted", "qualified", "unqualified")
    ctx.emit(LeadNurtured, cmd.aggregate_id, reason=cmd.reason)


@handles(MarkLeadLost)
def mark_lost(ctx: Context, cmd: MarkLeadLost) -> None:
    """Give up a lead that is not converted or lost already."""
    require_lead(ctx, cmd.aggregate_id, *OPEN)
    ctx.emit(LeadLost, cmd.aggregate_id, reason=cmd.reason)


@evolves(LeadActivityLogged)
def _activity(lead: Lead, e: LeadActivityLogged) -> Lead:
    return updated(lead, activities=e.contact_attempts, status=e.lead_status,
                   first_contact_at=e.first_contact_date, last_contact_at=e.last_contact_date)


@evolves(LeadBantAssessed)
def _bant(lead: Lead, e: LeadBantAssessed) -> Lead:
    bant = (e.has_budget, e.is_decision_maker, e.has_identified_need, e.has_timeline)
    return updated(lead, bant=bant, qualification_status=e.qualification_status)


@evolves(LeadQualified)
def _qualified(lead: Lead, _: LeadQualified) -> Lead:
    return updated(lead, status="qualified", qualification_status="qualified",
                   ever_qualified=True)


@evolves(LeadDisqualified)
def _disqualified(lead: Lead, _: LeadDisqualified) -> Lead:
    return updated(lead, status="unqualified", qualification_status="disqualified")


@evolves(LeadNurtured)
def _nurtured(lead: Lead, _: LeadNurtured) -> Lead:
    return updated(lead, status="nurturing")


@evolves(LeadLost)
def _lost(lead: Lead, _: LeadLost) -> Lead:
    return updated(lead, status="lost")
