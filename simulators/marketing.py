"""Marketing: about two campaigns a week (scale 1), many with A/B variants.

E-mail, webinar, social, content and partner campaigns go to customer contacts and
nurtured leads; each member's response (open, click, reply, bounce, opt-out) is drawn
with variant-specific rates (B truly better); the core names a winner only when the
difference is significant, which these audience sizes rarely allow. Replies
from customer contacts become leads attributed to the campaign (with the member);
a nurtured lead that replies is called back. Each campaign has an audience (industry,
company size, region: `book.targets`); inbound leads are credited only to a campaign that
reaches them, while it runs. Trade shows come from the show calendar (`SHOWS`), each
edition booked once; their booth leads arrive during the show and in the follow-up days
(`simulators.inbound`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.campaigns.messages import (
    CancelCampaign,
    CompleteCampaign,
    IncurCampaignCost,
    LaunchCampaign,
    PlanCampaign,
    VariantSpec,
)
from simulators.book import CampaignTarget
from simulators.campaign_sends import CampaignSends
from simulators.catalog import FAMILIES, INDUSTRIES, INDUSTRY_FAMILIES
from simulators.kernel import MARKETING, Desk
from simulators.trade_shows import FOLLOW_UP_DAYS, ZONES, upcoming_shows
from simulators.worktime import at_local, local_day, office_times
from simulators.world import pick

TYPES = (("email", 42), ("webinar", 22), ("content", 13), ("social", 14), ("partner", 9))
DAYS = {"email": (14, 30), "webinar": (7, 21), "trade_show": (4, 8), "content": (30, 60),
        "social": (14, 30), "partner": (30, 60)}
BUDGET = {"email": (50_000, 300_000), "webinar": (100_000, 500_000),
          "trade_show": (1_000_000, 6_000_000), "content": (100_000, 400_000),
          "social": (100_000, 600_000), "partner": (200_000, 1_000_000)}
MEMBERS = {"email": 320, "webinar": 200, "social": 200, "content": 140, "partner": 60,
           "trade_show": 0}
AB_SHARE = {"email": 0.7, "social": 0.5, "webinar": 0.2}
BUYERS = {f: tuple(i for i, fams in INDUSTRY_FAMILIES.items() if f in fams) for f in FAMILIES}


@dataclass(slots=True)
class CampaignFile:
    """A campaign as marketing runs it."""

    kind: str
    name: str
    budget: int
    start: datetime
    days: int
    variants: tuple[str, ...] = ()
    status: str = "planned"
    members: dict[str, None] = field(default_factory=dict)  # lead/contact ids sent to
    target: CampaignTarget | None = None
    owner: str | None = None  # the marketing manager who runs it

    def runner(self) -> str:
        """Who acts for the campaign: its owner (a file pickled before owners: marketing)."""
        return getattr(self, "owner", None) or MARKETING


class MarketingDesk(CampaignSends, Desk):
    """Plans, launches, pays for and runs campaigns; records member responses."""

    NAME = "marketing"
    HANDLES = {"CampaignPlanned": "on_planned", "CampaignLaunched": "on_launched",
               "CampaignCompleted": "on_ended", "CampaignCancelled": "on_ended"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.campaigns: dict[str, CampaignFile] = {}
        self.booked: dict[str, None] = {}  # show editions booked ("IMTEX Bengaluru 2026")
        self.audiences: dict[str, CampaignTarget] = {}  # planned campaign -> its audience

    def plan_day(self, day_start: datetime) -> None:
        """On working days, a new campaign now and then (two a week at scale 1); book the
        show editions coming up."""
        day = local_day(day_start)
        times = office_times(day, self.k.count(0.36 * self.k.scale) + 1, self.k.rng)
        for when in times[1:]:
            self.at(when, "plan")
        for show, first in upcoming_shows(day):
            edition = f"{show[0]} {first.year}"
            if times and edition not in self.booked:
                self.booked[edition] = None
                self.at(times[0], "book_show", show, first)

    def book_show(self, show: tuple[str, int, int, int, str | None, tuple[str, ...]],
                  first: date) -> None:
        """Book a stall at a show edition (dates, focus industry and visitors' region)."""
        rng, k = self.k.rng, self.k
        name, _, _, days, industry, states = show
        last = first + timedelta(days=days - 1)
        campaign_id = k.new_id("CMP")
        self.audiences[campaign_id] = CampaignTarget(
            "trade_show", industry, None, states, first,
            last + timedelta(days=FOLLOW_UP_DAYS))
        budget = rng.randrange(*BUDGET["trade_show"], 5_000)
        k.send(PlanCampaign, campaign_id, campaign_name=f"{name} {first.year}",
               campaign_type="trade_show", start_date=first, end_date=last,
               target_audience=f"Visitors from {', '.join(states)}"[:200],
               target_industry=industry, target_company_size=None,
               expected_response_pct=Decimal(rng.randrange(2, 8)), budgeted_cost=Decimal(budget),
               description=f"Stall at {name} {first.year}; booth scans followed up for "
               f"{FOLLOW_UP_DAYS} days.", objectives="Booth enquiries from the show's visitors",
               campaign_owner=self.book.any_of(rng, "Manager"))

    def plan(self) -> None:
        """Plan a campaign starting in one to three weeks, aimed at a segment."""
        rng, k = self.k.rng, self.k
        kind = pick(rng, TYPES)
        family = rng.choice(FAMILIES)
        buyers = BUYERS[family] or tuple(INDUSTRIES)[:10]
        industry: str | None = rng.choices(buyers, [INDUSTRIES[i][0] for i in buyers])[0]
        size = rng.choice((None, None, "medium", "large")) if kind != "partner" else None
        zone, states = rng.choice(ZONES) if kind == "partner" else ("India", ())
        if kind in ("content", "partner"):
            industry = None  # a buyer's guide or a channel partner reaches every industry
        name = {"webinar": f"Webinar: cutting downtime with {family.lower()} in {industry}",
                "content": f"Whitepaper: {family} buyer's guide",
                "partner": f"Channel partner drive - {family} ({zone})",
                "social": f"LinkedIn series: {industry} plants",
                "email": f"{family} offer for {industry}"}[kind]
        low, high = BUDGET[kind]
        budget = rng.randrange(low, high, 5_000)
        variants = []
        if rng.random() < AB_SHARE.get(kind, 0):
            variants = [VariantSpec(variant_code="A", variant_name="Benefit-led subject",
                                    content_description="Subject stresses uptime and savings"),
                        VariantSpec(variant_code="B", variant_name="Offer-led subject",
                                    content_description="Subject leads with a limited offer")]
        start = local_day(k.now) + timedelta(days=rng.randrange(7, 22))
        days = rng.randint(*DAYS[kind])
        campaign_id = k.new_id("CMP")
        self.audiences[campaign_id] = CampaignTarget(kind, industry, size, tuple(states), start,
                                                     start + timedelta(days=days))
        k.send(PlanCampaign, campaign_id, campaign_name=name[:200], campaign_type=kind,
               start_date=start, end_date=start + timedelta(days=days),
               target_audience=f"Plant heads, maintenance and purchase managers ({zone})",
               target_industry=industry, target_company_size=size,
               expected_response_pct=Decimal(rng.randrange(2, 8)), budgeted_cost=Decimal(budget),
               description=f"{name}. Focus: {family.lower()}.", objectives="Generate "
               "qualified enquiries and re-engage the installed base",
               campaign_owner=self.book.any_of(rng, "Manager"), variants=variants)

    # ------------------------------------------------------------------ learning
    def on_planned(self, e: Any) -> None:
        """Planned: schedule the launch (a few are called off first)."""
        start = at_local(e.start_date, 10)
        low, high = BUDGET[e.campaign_type]
        campaign = CampaignFile(e.campaign_type, e.campaign_name, int(e.budgeted_cost or low),
                                start, (e.end_date - e.start_date).days,
                                tuple(v.variant_code for v in e.variants))
        campaign.target = self.audiences.pop(e.aggregate_id, None)
        campaign.owner = e.campaign_owner
        self.campaigns[e.aggregate_id] = campaign
        if campaign.kind == "trade_show" and campaign.target is not None:
            self.book.targets[e.aggregate_id] = campaign.target  # booth leads from day one
        if campaign.kind != "trade_show" and self.k.chance(0.05):
            self.later(self.k.hours(24, 96), "cancel", e.aggregate_id)
        else:
            self.at(start, "launch", e.aggregate_id)

    def on_launched(self, e: Any) -> None:
        """Running: send to the audience, book the costs, maybe stop it early."""
        campaign = self.campaigns[e.aggregate_id]
        campaign.status = "in_progress"
        self.book.running[e.aggregate_id] = campaign.kind
        if campaign.target is not None:
            self.book.targets[e.aggregate_id] = campaign.target
        size = round(MEMBERS[campaign.kind] * self.k.scale * self.k.rng.uniform(0.6, 1.4))
        for batch in range(3 if size else 0):
            self.at(self.k.now + timedelta(days=batch, minutes=30), "send_batch",
                    e.aggregate_id, size // 3)
        shares = [self.k.rng.uniform(0.2, 0.5) for _ in range(self.k.rng.randint(2, 4))]
        total = campaign.budget * self.k.rng.uniform(0.85, 1.15)
        for n, share in enumerate(shares):
            when = self.k.now + timedelta(days=campaign.days * n / len(shares), hours=3)
            self.at(when, "pay", e.aggregate_id, int(total * share / sum(shares)))
        if campaign.kind != "trade_show" and self.k.chance(0.1):  # a show runs its dates
            self.at(self.k.now + timedelta(days=campaign.days * 0.7), "complete",
                    e.aggregate_id)

    def on_ended(self, e: Any) -> None:
        """Completed or cancelled."""
        self.book.running.pop(e.aggregate_id, None)
        if e.event_type == "CampaignCancelled" or e.aggregate_id not in self.book.targets:
            self.book.targets.pop(e.aggregate_id, None)
        elif self.book.targets[e.aggregate_id].kind != "trade_show":  # shows: follow-up
            self.book.targets.pop(e.aggregate_id)
        campaign = self.campaigns.pop(e.aggregate_id, None)
        if campaign is not None:
            campaign.status = "ended"

    # ------------------------------------------------------------------ actions
    def launch(self, campaign_id: str) -> None:
        """Go live on the start date."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "planned":
            self.k.send(LaunchCampaign, campaign_id, actor=campaign.runner())

    def cancel(self, campaign_id: str) -> None:
        """Call a planned campaign off."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "planned":
            campaign.status = "cancelled"
            self.k.send(CancelCampaign, campaign_id, actor=campaign.runner(),
                        reason="Budget moved to a trade show")

    def complete(self, campaign_id: str) -> None:
        """End a running campaign early (target reached)."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "in_progress":
            self.k.send(CompleteCampaign, campaign_id, actor=campaign.runner())

    def pay(self, campaign_id: str, amount: int) -> None:
        """An invoice from the agency, venue or platform."""
        campaign = self.campaigns.get(campaign_id)
        if amount > 0:
            self.k.send(IncurCampaignCost, campaign_id,
                        actor=campaign.runner() if campaign else MARKETING, amount=Decimal(amount),
                        cost_description=self.k.rng.choice((
                            "Agency fee", "Media spend", "Venue and stall", "Content production",
                            "Platform licence")))
