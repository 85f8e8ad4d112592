"""Campaign members: who was sent a campaign, how they responded, what it produced.

A member is its own aggregate (`campaign_member`, id = member_id, on the campaigns
topic): its events write its campaign_members row, while the campaign's own events carry
the variant counters.
Responses move forward along sent -> opened -> clicked -> responded; a later stage
implies the earlier ones (a click counts as an open too), each counted once per member.
A lead attributed to the campaign without a member of its own becomes a member with status
`attributed`: it was never sent anything, so it is neither a send nor a response (its
`has_responded` is false) and response rates of members and variants agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.campaigns.lifecycle import count_for_variant, record_campaign_outcome, require_campaign
from domain.campaigns.messages import (
    AddCampaignMember,
    CampaignMemberAdded,
    CampaignMemberLeadCreated,
    CampaignMemberOpportunityCreated,
    CampaignMemberStatusChanged,
    RecordCampaignResponse,
)
from domain.contacts.lifecycle import get_contact, opt_out
from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles, indexes
from domain.kernel.state import CrmState

_FUNNEL = ("sent", "opened", "clicked", "responded")
_MEMBER_OF = "campaign_member_of"  # "campaign|lead|id" / "campaign|contact|id" -> member id


@dataclass(frozen=True)
class CampaignMember:
    """What the member rules need."""

    member_id: str
    campaign_id: str
    member_type: str
    lead_id: str | None
    contact_id: str | None
    variant_code: str | None
    status: str = "sent"
    response_date: datetime | None = None
    lead_created: bool = False
    opportunity_created: bool = False


def get_member(state: CrmState, member_id: str | None) -> CampaignMember | None:
    """The member, or None."""
    return state.get("campaign_member", member_id) if member_id else None


def member_for(state: CrmState, campaign_id: str, kind: str, ref: str) -> str | None:
    """The member id of a lead or contact in a campaign, if any."""
    return state.view(_MEMBER_OF).get(f"{campaign_id}|{kind}|{ref}")


@handles(AddCampaignMember)
def add_member(ctx: Context, cmd: AddCampaignMember) -> None:
    """Add a member to a planned or running campaign (once per lead or contact)."""
    if ctx.get("campaign_member", cmd.aggregate_id) is not None:
        raise Rejected(f"campaign member {cmd.aggregate_id} already exists")
    campaign = require_campaign(ctx, cmd.campaign_id, "planned", "in_progress")
    ref = cmd.lead_id if cmd.member_type == "lead" else cmd.contact_id
    other = cmd.contact_id if cmd.member_type == "lead" else cmd.lead_id
    if ref is None or other is not None:
        raise Rejected(f"a {cmd.member_type} member names exactly its {cmd.member_type}_id")
    if ctx.get(cmd.member_type, ref) is None:
        raise Rejected(f"{cmd.member_type} {ref} does not exist")
    if member_for(ctx.state, campaign.campaign_id, cmd.member_type, ref):
        raise Rejected(f"{cmd.member_type} {ref} is already a member of {campaign.campaign_id}")
    contact = get_contact(ctx.state, cmd.contact_id)
    if contact is not None and contact.email_opted_out and campaign.campaign_type == "email":
        raise Rejected(f"contact {ref} opted out of e-mail")
    if campaign.variants and campaign.variant(cmd.variant_code) is None:
        raise Rejected(f"campaign {campaign.campaign_id} needs one of its variant codes "
                       f"({', '.join(v.variant_code for v in campaign.variants)})")
    if not campaign.variants and cmd.variant_code is not None:
        raise Rejected(f"campaign {campaign.campaign_id} has no variants")
    ctx.emit(CampaignMemberAdded, cmd.aggregate_id, **cmd.payload())
    count_for_variant(ctx, campaign.campaign_id, cmd.variant_code, members_sent=1)


@handles(RecordCampaignResponse)
def record_response(ctx: Context, cmd: RecordCampaignResponse) -> None:
    """Move the member along the funnel; going back or repeating a stage changes nothing.

    A bounce is only possible before any engagement; nothing follows a bounce or an
    opt-out. Opting out a contact member also opts the contact out of e-mail.
    """
    member: CampaignMember = require(ctx, "campaign_member", cmd.aggregate_id)
    require_campaign(ctx, member.campaign_id, "in_progress", "completed")
    if member.status == "attributed":
        raise Rejected(f"campaign member {member.member_id} was attributed, never sent")
    if member.status in ("bounced", "opted_out"):
        raise Rejected(f"campaign member {member.member_id} has {member.status}")
    if cmd.response == "bounced" and member.status != "sent":
        raise Rejected(f"campaign member {member.member_id} cannot bounce once {member.status}")
    if cmd.response == "opted_out":
        ctx.emit(CampaignMemberStatusChanged, member.member_id, member_status="opted_out",
                 has_responded=member.status == "responded", response_date=member.response_date)
        if member.contact_id:
            opt_out(ctx, member.contact_id, f"opted out of campaign {member.campaign_id}")
        return
    if cmd.response == "bounced":
        ctx.emit(CampaignMemberStatusChanged, member.member_id, member_status="bounced",
                 has_responded=False)
        return
    advance(ctx, member, cmd.response)


def advance(ctx: Context, member: CampaignMember, stage: str) -> None:
    """Move a member forward to `stage` and count the stages it passed for its variant."""
    old, new = _FUNNEL.index(member.status), _FUNNEL.index(stage)
    if new <= old:
        return
    responded = stage == "responded"
    ctx.emit(CampaignMemberStatusChanged, member.member_id, member_status=stage,
             has_responded=responded, response_date=ctx.now if responded else None)
    passed = {name: int(old < i <= new) for i, name in enumerate(_FUNNEL) if i}
    count_for_variant(ctx, member.campaign_id, member.variant_code, **passed)


def check_lead_source(ctx: Context, campaign_id: str, member_id: str | None) -> None:
    """Refuse a lead attributed to an unknown campaign or to a member of another one."""
    require_campaign(ctx, campaign_id)
    if member_id is None:
        return
    member = get_member(ctx.state, member_id)
    if member is None or member.campaign_id != campaign_id:
        raise Rejected(f"campaign member {member_id} is not a member of {campaign_id}")
    if member.lead_created:
        raise Rejected(f"campaign member {member_id} already produced a lead")
    if member.status in ("bounced", "opted_out"):
        raise Rejected(f"campaign member {member_id} has {member.status}")


def attribute_lead(ctx: Context, campaign_id: str, lead_id: str, member_id: str | None) -> None:
    """A lead came from the campaign: flag (or create) its member and count the lead.

    With no member named, the lead becomes a new member marked `attributed` (no variant,
    not a response: nothing was sent to it); it still counts as a lead the campaign made.
    """
    member = get_member(ctx.state, member_id)
    if member is None:
        ctx.emit(CampaignMemberAdded, ctx.new_id("CM", lead_id), campaign_id=campaign_id,
                 member_type="lead", lead_id=lead_id, member_status="attributed",
                 has_responded=False, lead_created=True)
    else:
        advance(ctx, member, "responded")
        ctx.emit(CampaignMemberLeadCreated, member.member_id, lead_id=lead_id)
        count_for_variant(ctx, campaign_id, member.variant_code, leads_created=1)
    record_campaign_outcome(ctx, campaign_id, lead_created=True)


def flag_opportunity(ctx: Context, campaign_id: str, lead_id: str, opportunity_id: str) -> None:
    """Mark the lead's member (if any) as having produced an opportunity."""
    member = get_member(ctx.state, member_for(ctx.state, campaign_id, "lead", lead_id))
    if member is not None and not member.opportunity_created:
        ctx.emit(CampaignMemberOpportunityCreated, member.member_id,
                 opportunity_id=opportunity_id)


@evolves(CampaignMemberAdded)
def _added(_: None, e: CampaignMemberAdded) -> CampaignMember:
    return CampaignMember(e.aggregate_id, e.campaign_id, e.member_type, e.lead_id, e.contact_id,
                          e.variant_code, e.member_status, e.response_date, e.lead_created)


@evolves(CampaignMemberStatusChanged)
def _status(m: CampaignMember, e: CampaignMemberStatusChanged) -> CampaignMember:
    return updated(m, status=e.member_status, response_date=e.response_date)


@evolves(CampaignMemberLeadCreated)
def _lead(m: CampaignMember, e: CampaignMemberLeadCreated) -> CampaignMember:
    return updated(m, lead_created=True, lead_id=m.lead_id or e.lead_id)


@evolves(CampaignMemberOpportunityCreated)
def _opportunity(m: CampaignMember, _: CampaignMemberOpportunityCreated) -> CampaignMember:
    return updated(m, opportunity_created=True)


@indexes(CampaignMemberAdded, CampaignMemberLeadCreated)
def _index(state: CrmState, e: CampaignMemberAdded | CampaignMemberLeadCreated) -> None:
    """Find members by lead or contact (a contact's member also by the lead it produced)."""
    member = state.get("campaign_member", e.aggregate_id)
    view = state.view(_MEMBER_OF)
    for kind, ref in (("lead", member.lead_id), ("contact", member.contact_id),
                      ("lead", getattr(e, "lead_id", None))):
        if ref:
            view.setdefault(f"{member.campaign_id}|{kind}|{ref}", member.member_id)
