"""Marketing: about two campaigns a week (scale 1), many with A/B variants.

E-mail, webinar, social, content and partner campaigns go to customer contacts and
nurtured leads; each member's response (open, click, reply, bounce, opt-out) is drawn
with variant-specific rates (B truly better); the core names a winner only when the
difference is significant, which these audience sizes rarely allow. Replies
from customer contacts become leads attributed to the campaign (with the member);
a nurtured lead that replies is called back. Trade shows produce booth leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.campaign_members import AddCampaignMember, RecordCampaignResponse
from domain.campaigns import (
    CancelCampaign,
    CompleteCampaign,
    IncurCampaignCost,
    LaunchCampaign,
    PlanCampaign,
    VariantSpec,
)
from simulators.catalog import FAMILIES, INDUSTRIES
from simulators.kernel import Desk
from simulators.worktime import at_local, local_day, office_times
from simulators.world import pick

TYPES = (("email", 38), ("webinar", 20), ("trade_show", 10), ("content", 12),
         ("social", 12), ("partner", 8))
DAYS = {"email": (14, 30), "webinar": (7, 21), "trade_show": (4, 8), "content": (30, 60),
        "social": (14, 30), "partner": (30, 60)}
BUDGET = {"email": (50_000, 300_000), "webinar": (100_000, 500_000),
          "trade_show": (1_000_000, 6_000_000), "content": (100_000, 400_000),
          "social": (100_000, 600_000), "partner": (200_000, 1_000_000)}
MEMBERS = {"email": 320, "webinar": 200, "social": 200, "content": 140, "partner": 60,
           "trade_show": 0}
AB_SHARE = {"email": 0.7, "social": 0.5, "webinar": 0.2}
OPEN_RATE = {"A": 0.24, "B": 0.30, None: 0.26}
SHOWS = ("IMTEX Bengaluru", "Engimach Gandhinagar", "Automation Expo Mumbai",
         "India Industrial Fair Chennai", "ELECRAMA Greater Noida", "Manufacturing Expo Pune")


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


class MarketingDesk(Desk):
    """Plans, launches, pays for and runs campaigns; records member responses."""

    NAME = "marketing"
    HANDLES = {"CampaignPlanned": "on_planned", "CampaignLaunched": "on_launched",
               "CampaignCompleted": "on_ended", "CampaignCancelled": "on_ended"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.campaigns: dict[str, CampaignFile] = {}

    def plan_day(self, day_start: datetime) -> None:
        """On working days, a new campaign now and then (two a week at scale 1)."""
        for when in office_times(local_day(day_start), self.k.count(0.4 * self.k.scale),
                                 self.k.rng):
            self.at(when, "plan")

    def plan(self) -> None:
        """Plan a campaign starting in one to three weeks."""
        rng, k = self.k.rng, self.k
        kind = pick(rng, TYPES)
        industry = rng.choice(tuple(INDUSTRIES)[:10])
        family = rng.choice(FAMILIES)
        name = {"trade_show": f"{rng.choice(SHOWS)} {local_day(k.now).year}",
                "webinar": f"Webinar: cutting downtime with {family.lower()}",
                "content": f"Whitepaper: {family} buyer's guide",
                "partner": f"Channel partner drive - {family}",
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
        k.send(PlanCampaign, k.new_id("CMP"), campaign_name=name[:200], campaign_type=kind,
               start_date=start, end_date=start + timedelta(days=days),
               target_audience="Plant heads, maintenance and purchase managers",
               target_industry=industry, target_company_size=rng.choice(("medium", "large")),
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
        self.campaigns[e.aggregate_id] = campaign
        if self.k.chance(0.05):
            self.later(self.k.hours(24, 96), "cancel", e.aggregate_id)
        else:
            self.at(start, "launch", e.aggregate_id)

    def on_launched(self, e: Any) -> None:
        """Running: send to the audience, book the costs, maybe stop it early."""
        campaign = self.campaigns[e.aggregate_id]
        campaign.status = "in_progress"
        self.book.running[e.aggregate_id] = campaign.kind
        size = round(MEMBERS[campaign.kind] * self.k.scale * self.k.rng.uniform(0.6, 1.4))
        for batch in range(3 if size else 0):
            self.at(self.k.now + timedelta(days=batch, minutes=30), "send_batch",
                    e.aggregate_id, size // 3)
        shares = [self.k.rng.uniform(0.2, 0.5) for _ in range(self.k.rng.randint(2, 4))]
        total = campaign.budget * self.k.rng.uniform(0.85, 1.15)
        for n, share in enumerate(shares):
            when = self.k.now + timedelta(days=campaign.days * n / len(shares), hours=3)
            self.at(when, "pay", e.aggregate_id, int(total * share / sum(shares)))
        if campaign.kind == "trade_show":
            for day in range(1, 4):
                self.at(self.k.now + timedelta(days=campaign.days + day, hours=2),
                        "booth_leads", e.aggregate_id)
        if self.k.chance(0.1):
            self.at(self.k.now + timedelta(days=campaign.days * 0.7), "complete",
                    e.aggregate_id)

    def on_ended(self, e: Any) -> None:
        """Completed or cancelled."""
        self.book.running.pop(e.aggregate_id, None)
        campaign = self.campaigns.pop(e.aggregate_id, None)
        if campaign is not None:
            campaign.status = "ended"

    # ------------------------------------------------------------------ actions
    def launch(self, campaign_id: str) -> None:
        """Go live on the start date."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "planned":
            self.k.send(LaunchCampaign, campaign_id)

    def cancel(self, campaign_id: str) -> None:
        """Call a planned campaign off."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "planned":
            campaign.status = "cancelled"
            self.k.send(CancelCampaign, campaign_id, reason="Budget moved to a trade show")

    def complete(self, campaign_id: str) -> None:
        """End a running campaign early (target reached)."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is not None and campaign.status == "in_progress":
            self.k.send(CompleteCampaign, campaign_id)

    def pay(self, campaign_id: str, amount: int) -> None:
        """An invoice from the agency, venue or platform."""
        if amount > 0:
            self.k.send(IncurCampaignCost, campaign_id, amount=Decimal(amount),
                        cost_description=self.k.rng.choice((
                            "Agency fee", "Media spend", "Venue and stall", "Content production",
                            "Platform licence")))

    def send_batch(self, campaign_id: str, size: int) -> None:
        """Send to customer contacts and nurtured leads not yet in the campaign."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is None or campaign.status != "in_progress":
            return
        rng, k = self.k.rng, self.k
        pool = [("contact", c) for c in self.book.mailable()]
        pool += [("lead", lead) for lead in self.book.nurturing]
        pool = [p for p in pool if p[1] not in campaign.members]
        for kind, ref in rng.sample(pool, min(size, len(pool))):
            campaign.members[ref] = None
            variant = rng.choice(campaign.variants) if campaign.variants else None
            member_id = k.new_id("CM")
            k.send(AddCampaignMember, member_id, campaign_id=campaign_id, member_type=kind,
                   lead_id=ref if kind == "lead" else None,
                   contact_id=ref if kind == "contact" else None, variant_code=variant)
            self._plan_response(member_id, kind, ref, variant, campaign_id)

    def _plan_response(self, member_id: str, kind: str, ref: str, variant: str | None,
                       campaign_id: str) -> None:
        rng, t = self.k.rng, self.k.now
        draw = rng.random()
        if draw < 0.03:
            self.at(t + timedelta(minutes=rng.randrange(5, 600)), "response", member_id,
                    "bounced", kind, ref, campaign_id)
            return
        if draw > 0.03 + OPEN_RATE[variant]:
            return
        steps = ["opened"]
        if rng.random() < 0.006:
            steps.append("opted_out")
        elif rng.random() < 0.15:
            steps.append("clicked")
            if rng.random() < (0.42 if variant == "B" else 0.3):
                steps.append("responded")
        for step in steps:
            t += timedelta(hours=rng.uniform(1, 60))
            self.at(t.replace(microsecond=0), "response", member_id, step, kind, ref,
                    campaign_id)

    def response(self, member_id: str, step: str, kind: str, ref: str,
                 campaign_id: str) -> None:
        """A member's response; a reply may become a lead or wake a nurtured lead."""
        self.k.send(RecordCampaignResponse, member_id, response=step)
        if step != "responded":
            return
        if kind == "lead" and ref in self.book.nurturing:
            self.k.later(self.k.hours(2, 30), "leads", "reengage", ref)
        elif kind == "contact" and self.k.chance(0.4):
            self.k.later(self.k.hours(0.5, 24), "leads", "capture", "website", campaign_id,
                         member_id, ref, kind="any")

    def booth_leads(self, campaign_id: str) -> None:
        """Visitor scans from the stall are uploaded after the show."""
        for _ in range(self.k.count(12 * self.k.scale)):
            self.k.later(self.k.hours(0, 8), "leads", "capture", "trade_show", campaign_id)
