"""Inbound enquiries: how many leads arrive each day, from where, when, and with what.

Between 80 and 200 a day at scale 1 (a weekday mean of 150, fewer at weekends, seasonal),
web and social-media forms at any hour, the rest (referrals, trade shows, cold calls,
partners) in office hours. A lead running into a matching campaign is attributed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.leads import CaptureLead
from simulators.catalog import CHEAPEST, FAMILIES, INDUSTRY_FAMILIES, LEAD_TITLES
from simulators.worktime import demand_season, local_day, office_times, weekday_factor
from simulators.world import deal_value, email, phone, pick

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.world import World

SOURCES = (("website", 34), ("referral", 12), ("trade_show", 12), ("cold_call", 14),
           ("social_media", 16), ("partner", 12))
WEB_HOURS = (1, 1, 0.5, 0.5, 0.5, 1, 2, 3, 5, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1.5)
WEB = ("website", "social_media")
DAILY_LEADS = 150  # mean on a weekday at scale 1 (80-200 a day after weekends/seasons)
# the hidden fit of a lead, by source: decides how the conversations go (simulators.prospects)
FIT = {"referral": (("hot", 24), ("warm", 36), ("cold", 28), ("junk", 12)),
       "partner": (("hot", 20), ("warm", 34), ("cold", 32), ("junk", 14)),
       "trade_show": (("hot", 11), ("warm", 32), ("cold", 38), ("junk", 19)),
       "website": (("hot", 9), ("warm", 28), ("cold", 39), ("junk", 24)),
       "social_media": (("hot", 5), ("warm", 22), ("cold", 41), ("junk", 32)),
       "cold_call": (("hot", 4), ("warm", 20), ("cold", 45), ("junk", 31))}


@dataclass(slots=True)
class LeadFile:
    """A lead as its rep sees it (the fit is what the conversations will reveal)."""

    fit: str
    rep: str | None = None
    status: str = "new"
    attempts: int = 0
    rounds: int = 0
    handed_off: bool = False


class Inbound:
    """Lead capture (mixed into `LeadDesk`)."""

    # provided by Desk and LeadDesk: k, world, book, leads, at()
    k: Kernel
    world: World
    book: Book
    leads: dict[str, LeadFile]

    def plan_day(self, day_start: datetime) -> None:
        """Between 80 and 200 enquiries a day (scale 1), web ones around the clock."""
        day, k = local_day(day_start), self.k
        mean = DAILY_LEADS * weekday_factor(day) * demand_season(day) * k.scale
        n = min(round(200 * k.scale), max(round(80 * k.scale), k.count(mean)))
        sources = [pick(k.rng, SOURCES) for _ in range(n)]
        offline = [s for s in sources if s not in WEB]
        times = office_times(day, len(offline), k.rng)
        if not times:  # offices closed: only web enquiries today
            sources = [pick(k.rng, (("website", 70), ("social_media", 30))) for _ in sources]
        for source, when in zip(offline, times, strict=False):
            self.at(when, "capture", source)
        for source in sources:
            if source in WEB:
                hour = k.rng.choices(range(24), WEB_HOURS)[0] + k.rng.random()
                when = (day_start + timedelta(hours=hour)).replace(microsecond=0)
                if when > k.start:
                    self.at(when, "capture", source)

    def capture(self, source: str, campaign_id: str | None = None,
                member_id: str | None = None, contact_id: str | None = None) -> str:
        """A new enquiry: company, person, interest and value.

        With `contact_id` (a customer contact who answered a campaign) the enquiry is that
        person's, for their company; some other enquiries come from existing customers.
        """
        k, rng, world = self.k, self.k.rng, self.world
        contact = self.book.contacts.get(contact_id or "")
        existing = self.book.accounts.get(contact.account_id) if contact else None
        known = world.company(existing.name) if existing else None
        customer = known is not None or rng.random() < 0.08
        company = known or (rng.choice(world.installed) if customer else world.prospect(rng))
        if campaign_id is None:
            campaign_id = self._campaign_for(source)
        first, last = contact.name if contact and known else world.person(rng)
        if source == "cold_call":
            created_by = self.book.any_of(rng, "SDR")
        else:
            created_by = {"website": "web-form", "social_media": "linkedin-form",
                          "trade_show": "booth-scanner"}.get(source, "sales-desk")
        value = deal_value(rng, company.size)
        family = rng.choice([f for f in INDUSTRY_FAMILIES.get(company.industry, FAMILIES)
                             if CHEAPEST[f] <= value]
                            or [f for f in FAMILIES if CHEAPEST[f] <= value])
        lead_id = k.new_id("LD")
        street, postcode = world.address(rng)
        close = local_day(k.now) + timedelta(days=rng.randrange(30, 150))
        k.send(CaptureLead, lead_id, company_name=company.name, lead_source=source,
               source_campaign_id=campaign_id, campaign_member_id=member_id,
               contact_first_name=first, contact_last_name=last,
               contact_title=rng.choice(LEAD_TITLES),
               email=contact.email if contact and known else email(first, last, company.domain),
               phone=phone(rng), industry=company.industry, company_size=company.size,
               number_of_employees=company.employees, address_line1=street, city=company.city,
               state=company.state, postal_code=postcode, product_interest=family,
               estimated_deal_value=value,
               expected_close_date=close if rng.random() < 0.4 else None,
               description=f"Enquiry for {family.lower()} for the {company.city} plant.",
               created_by=created_by)
        fit = pick(rng, FIT[source])
        if customer and fit in ("cold", "junk"):
            fit = "warm"
        self.leads[lead_id] = LeadFile(fit)
        return lead_id

    def _campaign_for(self, source: str) -> str | None:
        """A running campaign that plausibly produced a lead from this source."""
        types = {"trade_show": ("trade_show",), "website": ("webinar", "content", "email"),
                 "social_media": ("social",), "partner": ("partner",)}.get(source, ())
        running = [c for c, t in self.book.running.items() if t in types]
        share = 0.85 if source == "trade_show" else 0.3
        return self.k.rng.choice(running) if running and self.k.chance(share) else None
