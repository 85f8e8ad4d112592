"""campaigns, campaign_variants and campaign_members rows.

Campaign events write the campaigns row and its variant rows; member events (aggregate
`campaign_member`) write their own campaign_members row.
"""

from __future__ import annotations

from decimal import Decimal

from domain.campaigns.messages import (
    CampaignCancelled,
    CampaignCompleted,
    CampaignCostIncurred,
    CampaignLaunched,
    CampaignMemberAdded,
    CampaignMemberLeadCreated,
    CampaignMemberOpportunityCreated,
    CampaignMemberStatusChanged,
    CampaignPlanned,
    CampaignResultsUpdated,
    CampaignVariantStatsUpdated,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _campaign(e: Event, **values: object) -> Upsert:
    return upsert("campaigns", e, {"campaign_id": e.aggregate_id}, **values,
                  updated_at=e.occurred_at)


@projects(CampaignPlanned)
def planned(e: CampaignPlanned) -> list[Upsert]:
    """The campaign row (status planned, zero results) and one row per A/B variant."""
    fields = e.payload()
    fields.pop("variants")
    rows = [_campaign(e, **fields, campaign_status="planned", actual_cost=Decimal(0),
                      total_leads=0, qualified_leads=0, opportunities_created=0, deals_won=0,
                      total_revenue=Decimal(0), is_active=True, created_at=e.occurred_at)]
    rows += [
        upsert("campaign_variants", e, {"variant_id": v.variant_id},
               campaign_id=e.aggregate_id, variant_code=v.variant_code,
               variant_name=v.variant_name, content_description=v.content_description,
               members_sent=0, opened=0, clicked=0, responded=0, leads_created=0,
               is_winner=False, created_at=e.occurred_at, updated_at=e.occurred_at)
        for v in e.variants
    ]
    return rows


@projects(CampaignLaunched)
def launched(e: CampaignLaunched) -> list[Upsert]:
    """In progress."""
    return [_campaign(e, campaign_status="in_progress")]


@projects(CampaignCostIncurred)
def cost_incurred(e: CampaignCostIncurred) -> list[Upsert]:
    """New actual cost."""
    return [_campaign(e, actual_cost=e.actual_cost)]


@projects(CampaignResultsUpdated)
def results_updated(e: CampaignResultsUpdated) -> list[Upsert]:
    """Absolute results."""
    return [_campaign(e, total_leads=e.total_leads, qualified_leads=e.qualified_leads,
                      opportunities_created=e.opportunities_created, deals_won=e.deals_won,
                      total_revenue=e.total_revenue, actual_cost=e.actual_cost,
                      roi_pct=e.roi_pct, cost_per_lead=e.cost_per_lead,
                      conversion_rate_pct=e.conversion_rate_pct)]


@projects(CampaignVariantStatsUpdated)
def variant_stats(e: CampaignVariantStatsUpdated) -> list[Upsert]:
    """Absolute counters and rates of one variant."""
    return [upsert("campaign_variants", e, {"variant_id": e.variant_id},
                   members_sent=e.members_sent, opened=e.opened, clicked=e.clicked,
                   responded=e.responded, leads_created=e.leads_created,
                   open_rate_pct=e.open_rate_pct, click_rate_pct=e.click_rate_pct,
                   response_rate_pct=e.response_rate_pct, updated_at=e.occurred_at)]


@projects(CampaignCompleted)
def completed(e: CampaignCompleted) -> list[Upsert]:
    """Completed; the winning variant is flagged."""
    rows = [_campaign(e, campaign_status="completed")]
    if e.winner_variant_id:
        rows.append(upsert("campaign_variants", e, {"variant_id": e.winner_variant_id},
                           is_winner=True, updated_at=e.occurred_at))
    return rows


@projects(CampaignCancelled)
def cancelled(e: CampaignCancelled) -> list[Upsert]:
    """Cancelled and no longer active."""
    return [_campaign(e, campaign_status="cancelled", is_active=False)]


@projects(CampaignMemberAdded)
def member_added(e: CampaignMemberAdded) -> list[Upsert]:
    """A new member row."""
    return [upsert("campaign_members", e, {"member_id": e.aggregate_id}, **e.payload(),
                   opportunity_created=False, created_at=e.occurred_at)]


@projects(CampaignMemberStatusChanged)
def member_status(e: CampaignMemberStatusChanged) -> list[Upsert]:
    """Status, response flag and date."""
    return [upsert("campaign_members", e, {"member_id": e.aggregate_id},
                   member_status=e.member_status, has_responded=e.has_responded,
                   response_date=e.response_date)]


@projects(CampaignMemberLeadCreated)
def member_lead(e: CampaignMemberLeadCreated) -> list[Upsert]:
    """The member produced a lead."""
    return [upsert("campaign_members", e, {"member_id": e.aggregate_id}, lead_created=True)]


@projects(CampaignMemberOpportunityCreated)
def member_opportunity(e: CampaignMemberOpportunityCreated) -> list[Upsert]:
    """The member's lead became an opportunity."""
    return [upsert("campaign_members", e, {"member_id": e.aggregate_id},
                   opportunity_created=True)]
