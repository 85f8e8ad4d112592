"""Campaigns: plan (with A/B variants), launch, costs, results, completion.

A campaign's derived figures (leads, qualified leads, opportunities, deals, revenue, ROI)
change when other aggregates do something (a lead is captured or qualified, an
opportunity opens, a deal is won). Those rules call `record_campaign_outcome`, which emits
`CampaignResultsUpdated` with absolute totals on the campaign itself, so the campaigns row
is written only by campaign events. Messages are in `domain.campaigns.messages`; members
in `domain.campaigns.members`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from domain.campaigns.ab_test import ab_winner
from domain.campaigns.messages import (
    CampaignCancelled,
    CampaignCompleted,
    CampaignCostIncurred,
    CampaignLaunched,
    CampaignPlanned,
    CampaignResultsUpdated,
    CampaignVariantStatsUpdated,
    CancelCampaign,
    CompleteCampaign,
    IncurCampaignCost,
    LaunchCampaign,
    PlanCampaign,
    PlannedVariant,
)
from domain.kernel.context import Context, Rejected, require
from domain.kernel.messages import money
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles, on_timer
from domain.kernel.state import CrmState
from domain.rules_config import CampaignRules

_END_TIMER = "campaign_end"
_MAX_ROI = Decimal("999999.99")  # roi_pct is DECIMAL(8,2)
_MAX_CPL = Decimal("9999999999.99")  # cost_per_lead is DECIMAL(12,2)


@dataclass(frozen=True)
class Variant:
    """Counters of one variant."""

    variant_id: str
    variant_code: str
    members_sent: int = 0
    opened: int = 0
    clicked: int = 0
    responded: int = 0
    leads_created: int = 0


@dataclass(frozen=True)
class Campaign:
    """What the campaign rules need."""

    campaign_id: str
    campaign_type: str
    status: str
    end_date: date
    variants: tuple[Variant, ...] = ()
    actual_cost: Decimal = Decimal(0)
    total_leads: int = 0
    qualified_leads: int = 0
    converted_leads: int = 0
    opportunities_created: int = 0
    deals_won: int = 0
    total_revenue: Decimal = Decimal(0)

    def variant(self, code: str | None) -> Variant | None:
        """The variant with this code, if any."""
        return next((v for v in self.variants if v.variant_code == code), None)


def get_campaign(state: CrmState, campaign_id: str | None) -> Campaign | None:
    """The campaign, or None."""
    return state.get("campaign", campaign_id) if campaign_id else None


def record_campaign_outcome(ctx: Context, campaign_id: str, *, opportunity_created: bool = False,
                            deal_won_amount: Decimal | None = None, lead_created: bool = False,
                            lead_qualified: bool = False, lead_converted: bool = False) -> None:
    """Count an outcome for the campaign and emit its absolute results.

    Does nothing for an unknown campaign id (there is no campaign row to keep right).
    """
    campaign = get_campaign(ctx.state, campaign_id)
    if campaign is None:
        return
    won = deal_won_amount is not None
    _emit_results(ctx, updated(
        campaign, total_leads=campaign.total_leads + lead_created,
        qualified_leads=campaign.qualified_leads + lead_qualified,
        converted_leads=campaign.converted_leads + lead_converted,
        opportunities_created=campaign.opportunities_created + opportunity_created,
        deals_won=campaign.deals_won + won,
        total_revenue=campaign.total_revenue + (money(deal_won_amount) if won else 0)))


def _pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return money(Decimal(part) * 100 / Decimal(whole)) if whole else None


def _emit_results(ctx: Context, c: Campaign) -> None:
    roi = _pct(c.total_revenue - c.actual_cost, c.actual_cost)
    cpl = money(c.actual_cost / c.total_leads) if c.total_leads else None
    ctx.emit(CampaignResultsUpdated, c.campaign_id, total_leads=c.total_leads,
             qualified_leads=c.qualified_leads, converted_leads=c.converted_leads,
             opportunities_created=c.opportunities_created, deals_won=c.deals_won,
             total_revenue=c.total_revenue, actual_cost=c.actual_cost,
             roi_pct=None if roi is None else max(-_MAX_ROI, min(_MAX_ROI, roi)),
             cost_per_lead=None if cpl is None else min(_MAX_CPL, cpl),
             conversion_rate_pct=_pct(c.converted_leads, c.total_leads))


def count_for_variant(ctx: Context, campaign_id: str, variant_code: str | None,
                      **increments: int) -> None:
    """Add to a variant's counters and emit its absolute stats (no variant: nothing)."""
    campaign = get_campaign(ctx.state, campaign_id)
    v = campaign.variant(variant_code) if campaign else None
    if v is None or not any(increments.values()):
        return
    v = updated(v, **{k: getattr(v, k) + n for k, n in increments.items()})
    ctx.emit(CampaignVariantStatsUpdated, campaign_id, variant_id=v.variant_id,
             variant_code=v.variant_code, members_sent=v.members_sent, opened=v.opened,
             clicked=v.clicked, responded=v.responded, leads_created=v.leads_created,
             open_rate_pct=_pct(v.opened, v.members_sent),
             click_rate_pct=_pct(v.clicked, v.members_sent),
             response_rate_pct=_pct(v.responded, v.members_sent))


def winner(campaign: Campaign, rules: CampaignRules) -> Variant | None:
    """The variant with a significantly higher response rate, if the evidence suffices.

    Enough sends per variant and a two-proportion z-test (domain.campaigns.ab_test); else None.
    """
    return ab_winner(campaign.variants, rules)


@handles(PlanCampaign)
def plan_campaign(ctx: Context, cmd: PlanCampaign) -> None:
    """Plan a campaign; dates in order and distinct variant codes."""
    if ctx.get("campaign", cmd.aggregate_id) is not None:
        raise Rejected(f"campaign {cmd.aggregate_id} already exists")
    if cmd.end_date < cmd.start_date:
        raise Rejected(f"campaign end date {cmd.end_date} is before its start {cmd.start_date}")
    codes = [v.variant_code for v in cmd.variants]
    if len(set(codes)) != len(codes):
        raise Rejected(f"campaign variant codes repeat: {', '.join(codes)}")
    fields = cmd.payload()
    fields["variants"] = [
        PlannedVariant(variant_id=ctx.new_id("CV", v.variant_code), **v.model_dump())
        for v in cmd.variants
    ]
    ctx.emit(CampaignPlanned, cmd.aggregate_id, campaign_code=ctx.next_number("CMP"), **fields)


def require_campaign(ctx: Context, campaign_id: str, *statuses: str) -> Campaign:
    """The campaign, in one of `statuses` (any if none given), or a rejection."""
    campaign: Campaign = require(ctx, "campaign", campaign_id)
    if statuses and campaign.status not in statuses:
        raise Rejected(f"campaign {campaign_id} is {campaign.status}, not {' or '.join(statuses)}")
    return campaign


@handles(LaunchCampaign)
def launch_campaign(ctx: Context, cmd: LaunchCampaign) -> None:
    """Launch a planned campaign; it completes by itself the day after its end date."""
    campaign = require_campaign(ctx, cmd.aggregate_id, "planned")
    ctx.emit(CampaignLaunched, cmd.aggregate_id)
    end = datetime.combine(campaign.end_date + timedelta(days=1), time(0), UTC)
    ctx.schedule(end, _END_TIMER, cmd.aggregate_id)


@handles(IncurCampaignCost)
def incur_cost(ctx: Context, cmd: IncurCampaignCost) -> None:
    """Book a cost (not on a cancelled campaign); ROI and cost per lead follow."""
    campaign = require_campaign(ctx, cmd.aggregate_id, "planned", "in_progress", "completed")
    ctx.emit(CampaignCostIncurred, cmd.aggregate_id, amount=cmd.amount,
             actual_cost=campaign.actual_cost + cmd.amount, cost_description=cmd.cost_description)
    _emit_results(ctx, get_campaign(ctx.state, cmd.aggregate_id))  # type: ignore[arg-type]


@handles(CompleteCampaign)
def complete_campaign(ctx: Context, cmd: CompleteCampaign) -> None:
    """Complete a running campaign and decide the A/B winner (if the evidence suffices)."""
    _complete(ctx, require_campaign(ctx, cmd.aggregate_id, "in_progress"))


@on_timer(_END_TIMER)
def _campaign_ended(ctx: Context, campaign_id: str) -> None:
    """After the end date a running campaign completes (stale timers do nothing)."""
    campaign = get_campaign(ctx.state, campaign_id)
    if campaign is not None and campaign.status == "in_progress":
        _complete(ctx, campaign)


def _complete(ctx: Context, campaign: Campaign) -> None:
    best = winner(campaign, ctx.rules.campaigns)
    ctx.emit(CampaignCompleted, campaign.campaign_id,
             winner_variant_id=best.variant_id if best else None,
             winner_variant_code=best.variant_code if best else None)


@handles(CancelCampaign)
def cancel_campaign(ctx: Context, cmd: CancelCampaign) -> None:
    """Cancel a campaign that has not completed."""
    require_campaign(ctx, cmd.aggregate_id, "planned", "in_progress")
    ctx.emit(CampaignCancelled, cmd.aggregate_id, reason=cmd.reason)


@evolves(CampaignPlanned)
def _planned(_: None, e: CampaignPlanned) -> Campaign:
    variants = tuple(Variant(v.variant_id, v.variant_code) for v in e.variants)
    return Campaign(e.aggregate_id, e.campaign_type, "planned", e.end_date, variants)


@evolves(CampaignLaunched)
def _launched(c: Campaign, _: CampaignLaunched) -> Campaign:
    return updated(c, status="in_progress")


@evolves(CampaignCompleted)
def _completed(c: Campaign, _: CampaignCompleted) -> Campaign:
    return updated(c, status="completed")


@evolves(CampaignCancelled)
def _cancelled(c: Campaign, _: CampaignCancelled) -> Campaign:
    return updated(c, status="cancelled")


@evolves(CampaignCostIncurred)
def _cost(c: Campaign, e: CampaignCostIncurred) -> Campaign:
    return updated(c, actual_cost=e.actual_cost)


@evolves(CampaignResultsUpdated)
def _results(c: Campaign, e: CampaignResultsUpdated) -> Campaign:
    return updated(c, total_leads=e.total_leads, qualified_leads=e.qualified_leads,
                   converted_leads=e.converted_leads,
                   opportunities_created=e.opportunities_created, deals_won=e.deals_won,
                   total_revenue=e.total_revenue, actual_cost=e.actual_cost)


@evolves(CampaignVariantStatsUpdated)
def _variant_stats(c: Campaign, e: CampaignVariantStatsUpdated) -> Campaign:
    new = Variant(e.variant_id, e.variant_code, e.members_sent, e.opened, e.clicked,
                  e.responded, e.leads_created)
    return updated(c, variants=tuple(new if v.variant_id == e.variant_id else v
                                     for v in c.variants))
