"""A campaign's sends and its members' responses (mixed into `MarketingDesk`): customer
contacts in the campaign's audience and nurtured leads get it, each member's response
(bounce, open, click, reply, opt-out) is drawn with its variant's rates (B truly better),
and a reply may become a lead or wake a nurtured lead."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from domain.campaigns.messages import AddCampaignMember, RecordCampaignResponse

if TYPE_CHECKING:
    from simulators.book import Book, CampaignTarget
    from simulators.kernel import Kernel
    from simulators.marketing import CampaignFile


OPEN_RATE = {"A": 0.24, "B": 0.30, None: 0.26}  # share of members who open it, by variant


class CampaignSends:
    """Sending a campaign to its members and their responses (mixed into `MarketingDesk`)."""

    # provided by Desk and MarketingDesk: k, book, campaigns, at()
    k: Kernel
    book: Book
    campaigns: dict[str, CampaignFile]

    def send_batch(self, campaign_id: str, size: int) -> None:
        """Send to customer contacts in the campaign's audience and nurtured leads not yet
        in the campaign."""
        campaign = self.campaigns.get(campaign_id)
        if campaign is None or campaign.status != "in_progress":
            return
        rng, k, target = self.k.rng, self.k, campaign.target
        pool = [("contact", c) for c in self.book.mailable() if target is None
                or self._reaches(target, self.book.contacts[c].account_id)]
        pool += [("lead", lead) for lead in self.book.nurturing]
        pool = [p for p in pool if p[1] not in campaign.members]
        for kind, ref in rng.sample(pool, min(size, len(pool))):
            campaign.members[ref] = None
            variant = rng.choice(campaign.variants) if campaign.variants else None
            member_id = k.new_id("CM")
            k.send(AddCampaignMember, member_id, actor=campaign.runner(), campaign_id=campaign_id,
                   member_type=kind,
                   lead_id=ref if kind == "lead" else None,
                   contact_id=ref if kind == "contact" else None, variant_code=variant)
            self._plan_response(member_id, kind, ref, variant, campaign_id)

    def _reaches(self, target: CampaignTarget, account_id: str) -> bool:
        account = self.book.accounts[account_id]
        return target.reaches(account.industry or "", account.size or "", account.state or "")

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
        """A member's response (the contact or lead responding is who acts); a reply may
        become a lead or wake a nurtured lead."""
        self.k.send(RecordCampaignResponse, member_id, actor=ref, response=step)
        if step != "responded":
            return
        if kind == "lead" and ref in self.book.nurturing:
            self.k.later(self.k.hours(2, 30), "leads", "reengage", ref)
        elif kind == "contact" and self.k.chance(0.4):
            self.k.later(self.k.hours(0.5, 24), "leads", "capture", "website", campaign_id,
                         member_id, ref, kind="any")
