"""Inbound enquiries: how many leads arrive each day, from where, when, and with what.

Between 80 and 200 a day at scale 1 (a weekday mean of 150, fewer at weekends, seasonal),
web and social-media forms at any hour, the rest (referrals, trade shows, cold calls,
partners) in office hours. Trade-show leads come only from a show: booth scans during it
(show hours, weekends too) and follow-ups keyed in over the next two weeks, from the
show's visitors (its region and focus industry). Other leads are credited to a running
campaign only when they are in its audience (industry, size, region). Who enquires: new
companies, companies that enquired before, existing customers (`simulators.market`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from domain.leads.messages import CaptureLead
from simulators.catalog import CHEAPEST, FAMILIES, INDUSTRY_FAMILIES, LEAD_TITLES
from simulators.market import CUSTOMER_SHARE, KNOWN_CONTACT, REPEAT_SHARE, SAME_PERSON, new_company
from simulators.trade_shows import FOLLOW_UP_DAYS as FOLLOW_UP
from simulators.worktime import at_local, demand_season, local_day, office_times, weekday_factor
from simulators.world import Company, deal_value, email, phone, pick

if TYPE_CHECKING:
    from simulators.book import Book, CampaignTarget, ContactFile
    from simulators.kernel import Kernel
    from simulators.world import World

# trade-show leads come from the shows' booths (BOOTH_PER_DAY), never from the daily mix
SOURCES = (("website", 38), ("referral", 14), ("cold_call", 16), ("social_media", 18),
           ("partner", 14))
BOOTH_PER_DAY = 30  # booth scans a show day at scale 1; follow-ups decay after the show
RESPONSE = 0.25  # web, social and partner leads that answer a running campaign of theirs
ATTRIBUTED = 0.3  # of the other leads a running campaign reaches, the share credited to it
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
    enquirers: list[str]  # prospect companies that have enquired, first enquiry first
    people: dict[str, list[tuple[str, str]]]  # company name -> people who enquired

    def plan_day(self, day_start: datetime) -> None:
        """Between 80 and 200 enquiries a day (scale 1), web ones around the clock, booth
        leads while a show is on and in its follow-up days."""
        day, k = local_day(day_start), self.k
        mean = DAILY_LEADS * weekday_factor(day) * demand_season(day) * k.scale
        n = min(round(200 * k.scale), max(round(80 * k.scale), k.count(mean)))
        n -= self._plan_booth(day, n)
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

    def _plan_booth(self, day: date, room: int) -> int:
        """Booth leads of the shows on (or just after) `day`; returns how many (at most
        `room`, so the day's total stays in its bounds)."""
        planned = 0
        for campaign_id, target in list(self.book.targets.items()):
            if target.kind != "trade_show":
                continue
            if day > target.last:
                del self.book.targets[campaign_id]
                continue
            if day < target.first:
                continue
            after = (day - target.last).days + FOLLOW_UP  # days since the show's last day
            show_day = after <= 0
            mean = BOOTH_PER_DAY * self.k.scale * (1.0 if show_day else 0.35 * 0.8 ** after)
            count = min(room - planned, self.k.count(mean))
            if show_day:  # the stall is staffed 10:00-18:00, weekends included
                times = sorted(at_local(day, self.k.rng.uniform(10, 18)) for _ in range(count))
            else:
                times = office_times(day, count, self.k.rng)
            for when in times:
                if when > self.k.start:
                    self.at(when, "capture", "trade_show", campaign_id)
            planned += len(times)
        return planned

    def capture(self, source: str, campaign_id: str | None = None,
                member_id: str | None = None, contact_id: str | None = None) -> str:
        """A new enquiry: company, person, interest and value.

        With `contact_id` (a customer contact who answered a campaign) the enquiry is that
        person's, for their company. A trade-show lead is a visitor of its show.
        """
        k, rng, world = self.k, self.k.rng, self.world
        contact = self.book.contacts.get(contact_id or "")
        existing = self.book.accounts.get(contact.account_id) if contact else None
        known = world.company(existing.name) if existing else None
        target = self.book.targets.get(campaign_id or "") if source == "trade_show" else None
        if campaign_id is None and contact is None and self.k.chance(RESPONSE):
            campaign_id = self._campaign_for(source)  # an answer to a running campaign
            target = self.book.targets.get(campaign_id or "")
        person: tuple[str, str] | None = None
        if known is not None and contact is not None:
            company, customer, person = known, True, contact.name
        else:
            company, customer, found = self._enquirer(target)
            if found is not None:
                contact, person = found, found.name
        if campaign_id is None and self.k.chance(ATTRIBUTED):
            campaign_id = self._campaign_for(source, company)
        first, last = person or self._person(company)
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
               email=contact.email if contact and contact.email and person == contact.name
               else email(first, last, company.domain),
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

    def _enquirer(self, audience: CampaignTarget | None
                  ) -> tuple[Company, bool, ContactFile | None]:
        """Who sends this enquiry: (company, is a customer, a contact we hold or None).

        An existing customer (CUSTOMER_SHARE; often a contact we know), else a
        prospect that enquired before (REPEAT_SHARE), else a company new to us. A campaign's
        respondents (a show's visitors) are in its audience: industry, size, region.
        """
        rng, book = self.k.rng, self.book
        if book.customers and rng.random() < CUSTOMER_SHARE:
            account = book.accounts[rng.choice(book.customers)]  # plants enquire alike
            company = self.world.company(account.name)
            if company is not None and (audience is None or audience.reaches(
                    company.industry, company.size, company.state)):
                known = [book.contacts[c] for c in account.contacts if c in book.contacts
                         and not book.contacts[c].opted_out]
                contact = rng.choice(known) if known and rng.random() < KNOWN_CONTACT else None
                return company, True, contact
        if self.enquirers and rng.random() < REPEAT_SHARE:
            company = self.world.company(rng.choice(self.enquirers))
            if company is not None and (audience is None or audience.reaches(
                    company.industry, company.size, company.state)):
                return company, False, None
        industries = (audience.industry,) if audience and audience.industry else ()
        company = new_company(self.world, rng, industries,
                              audience.states if audience else (),
                              audience.size if audience else None)
        self.enquirers.append(company.name)
        return company, False, None

    def _person(self, company: Company) -> tuple[str, str]:
        """The person enquiring: for a company that enquired before, the same person again
        (SAME_PERSON) or a colleague."""
        rng = self.k.rng
        people = self.people.setdefault(company.name, [])
        if people and rng.random() < SAME_PERSON:
            return rng.choice(people)
        person = self.world.person(rng)
        people.append(person)
        return person

    def _campaign_for(self, source: str, company: Company | None = None) -> str | None:
        """A running campaign that could have produced a lead from this source (and reaches
        `company`, when given)."""
        types = {"website": ("webinar", "content", "email"), "social_media": ("social",),
                 "partner": ("partner",)}.get(source, ())
        today = local_day(self.k.now)
        running = [c for c, t in self.book.targets.items() if t.kind in types
                   and c in self.book.running and t.first <= today <= t.last
                   and (company is None
                        or t.reaches(company.industry, company.size, company.state))]
        return self.k.rng.choice(running) if running else None
