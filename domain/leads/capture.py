"""Leads: capture, scoring and assignment.

Scoring is a pure function of the lead's facts and `LeadRules`; the handler only checks
the command and emits what the rule decided. Assignment after capture: the most specific
matching territory (ties: lowest territory_code) and round-robin among its active reps of
`LeadRules.assignable_roles` (by rep_code); with no matching territory, or none of its
reps available, round-robin among all such reps; with no rep at all the lead waits
unassigned. The rest of the lifecycle is in `domain.leads.lifecycle` and
`domain.leads.conversion`."""

from __future__ import annotations

from domain.campaigns.members import attribute_lead, check_lead_source
from domain.kernel.context import Context, Rejected
from domain.kernel.rulebook import handles
from domain.leads.assignment import assign_lead
from domain.leads.matching import apply_match
from domain.leads.messages import CaptureLead, LeadCaptured
from domain.leads.scoring import rescore


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
    if not apply_match(ctx, cmd.aggregate_id, cmd):  # a duplicate is assigned and closed
        assign_lead(ctx, cmd.aggregate_id)
    if cmd.source_campaign_id:
        attribute_lead(ctx, cmd.source_campaign_id, cmd.aggregate_id, member_id)
