"""The go-live migration: the business was trading before the CRM's first day.

On the history's first cycle, after the organisation and the installed base, the sales
and service teams migrate what was open in the previous system (like a company going
live on Salesforce loads its open opportunities and cases; docs/simulation.md, "Cold
start"): the open pipeline, in every stage, and the open support cases. Everything is an
ordinary command, so the core derives stages, probabilities, quotes, SLAs and forecasts
from them with its usual rules; nothing is written around it.

Which deals are open on day one is not invented by hand: the desk replays the arrivals of
the last `HISTORY_DAYS` days in its own head (simulators/pipeline_replay.py: the same
fate, cycle and loss-stage draws as `simulators.sales`) and keeps the deals that would
still be open today, in the stage their age puts them in. So the pipeline is in its steady
state (young deals early, old ones late, the losers that have not yet dropped out) and the
wins of the first weeks come from it at the rate they will keep. The sales desk then works
each migrated deal from where it stands, on its original timeline (`created` back-dated in
its file), and the core keeps the original opening date (`original_created_at`,
Salesforce's "Set Audit Fields upon Record Creation"), so the deal's age,
`opportunities.created_at` and the forecast run-rate see when it was really opened.
In the first weeks, the leads worked in the previous system still turn into deals (while
the CRM's own leads mature), so the deals opened per week are level from the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.accounts.messages import OpenAccount
from domain.opportunities.messages import ChangeOpportunityStage, OpenOpportunity
from simulators.catalog import FAMILIES, INDUSTRY_FAMILIES
from simulators.installed import account_profile, add_contacts
from simulators.kernel import MIGRATION, SALES_OPS, Desk
from simulators.pipeline_replay import OPENED_PER_DAY, SOURCES, PastDeal, PipelineReplay
from simulators.sales import NEXT, first_opening
from simulators.worktime import after, local_day, office_times
from simulators.world import Company, deal_value, pick

OPEN_CASES = 50  # cases open at any moment at scale 1 (42-58 measured on days 120-150)
MIGRATED = "Migrated from the previous CRM at go-live"
# Leads worked in the previous system keep turning into deals after go-live, while the
# CRM's own leads take a week or two to mature: share of the steady rate of new deals,
# by week after go-live (without it a 180-day history opened 7, 110, 137 ... a week).
BACKLOG = (0.6, 0.1)


class OpeningDesk(PipelineReplay, Desk):
    """Migrates the open pipeline and the open cases on the first cycle."""

    NAME = "opening"
    HANDLES = {"OpportunityCreated": "on_created"}  # runs after the sales desk's

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.pending: dict[str, PastDeal] = {}  # migrated opportunity -> its past
        self.queue: list[tuple[PastDeal, str]] = []  # deals to load -> their account
        self.desks: dict[str, Any] = {}  # the simulation's desks (BusinessSimulation)

    def setup(self) -> None:
        """Replay the recent past; load the prospects of the deals still open, then (once
        their accounts are known) the deals and the open cases."""
        k, rng, book = self.k, self.k.rng, self.book
        prospects: dict[str, str] = {}
        for deal in self.replay():
            if deal.kind != "new_business":
                if book.customers:
                    account_id = rng.choices(book.customers, weights=book.customer_weight)[0]
                    self.queue.append((deal, account_id))
                continue
            company = self.world.prospect(rng)
            key = " ".join(company.name.split()).casefold()
            if key in book.by_name:  # an existing customer's enquiry: not new business
                continue
            if key not in prospects:
                prospects[key] = self._prospect_account(company)
            self.queue.append((deal, prospects[key]))
        k.schedule(k.now, self.NAME, "migrate_deals")
        for _ in range(k.count(OPEN_CASES * k.scale)):
            k.schedule(k.now, "service", "open_case")


    def plan_day(self, day_start: datetime) -> None:
        """The first weeks: deals from leads worked in the previous system."""
        k = self.k
        week = (day_start - k.start).days // 7
        if 0 <= week < len(BACKLOG):
            day = local_day(day_start)
            for kind, mean in OPENED_PER_DAY[:2]:
                count = k.count(mean * BACKLOG[week] * k.scale)
                for when in office_times(day, count, k.rng):
                    self.at(when, "backlog_account", kind)

    def backlog_account(self, kind: str) -> None:
        """A lead from the previous system qualifies: its account now, the deal soon."""
        k, rng, book = self.k, self.k.rng, self.book
        if kind == "new_business":
            company = self.world.prospect(rng)
            key = " ".join(company.name.split()).casefold()
            account_id = book.by_name.get(key) or self._prospect_account(company)
        elif book.customers:
            account_id = rng.choices(book.customers, weights=book.customer_weight)[0]
        else:
            return
        self.later(k.hours(0.2, 1), "backlog_deal", kind, account_id)

    def backlog_deal(self, kind: str, account_id: str) -> None:
        """The deal of a lead worked in the previous system, opened today."""
        k, rng = self.k, self.k.rng
        account = self.book.accounts.get(account_id)
        if account is None:
            return
        if kind == "new_business" and account.customer:
            kind = "existing_customer"
        family = rng.choice(INDUSTRY_FAMILIES.get(account.industry or "", FAMILIES))
        owner = account.owner if kind == "new_business" else account.manager or account.owner
        company = self.world.company(account.name)
        k.send(OpenOpportunity, k.new_id("OPP"), actor=owner or SALES_OPS,
               opportunity_name=f"{account.name} - "
               f"{family} {'new line' if kind == 'new_business' else 'expansion'}"[:200],
               account_id=account_id, opportunity_type=kind, product_category=family,
               amount=deal_value(rng, company.size if company else None),
               lead_source=pick(rng, SOURCES) if kind == "new_business" else "referral",
               close_date=local_day(k.now) + timedelta(days=rng.randrange(40, 120)),
               opportunity_owner=owner, created_by=owner,
               customer_requirements="Enquiry worked in the previous CRM before go-live.",
               primary_contact_id=account.contacts[0] if account.contacts else None)

    def migrate_deals(self) -> None:
        """Load the open deals (their accounts are known by now)."""
        for deal, account_id in self.queue:
            self.migrate(deal, account_id)
        self.queue = []

    def migrate(self, deal: PastDeal, account_id: str) -> None:
        """Load one open deal as it stood in the previous system."""
        k, rng = self.k, self.k.rng
        account = self.book.accounts.get(account_id)
        if account is None:
            return
        family = rng.choice(INDUSTRY_FAMILIES.get(account.industry or "", FAMILIES))
        owner = (account.owner if deal.kind == "new_business"
                 else account.manager or account.owner)
        expected = local_day(deal.created + timedelta(days=deal.cycle * rng.uniform(0.85, 1.2)))
        close = max(expected, local_day(k.now) + timedelta(days=rng.randrange(5, 20)))
        opp_id = k.new_id("OPP")
        self.pending[opp_id] = deal
        label = "expansion" if deal.kind != "new_business" else "new line"
        k.send(OpenOpportunity, opp_id, opportunity_name=f"{account.name} - {family} {label}"
               [:200], account_id=account_id, opportunity_type=deal.kind,
               product_category=family, amount=deal.amount, lead_source=deal.source,
               close_date=close, opportunity_owner=owner, created_by="data-migration",
               original_created_at=deal.created,  # kept, as Salesforce's audit fields do
               customer_requirements=f"{MIGRATED}; opened {local_day(deal.created):%d %b %Y} "
               "in the previous system.",
               primary_contact_id=account.contacts[0] if account.contacts else None)

    def _prospect_account(self, company: Company) -> str:
        """A prospect account (with a contact or two) for a migrated new-business deal."""
        k, rng = self.k, self.k.rng
        account_id = k.new_id("ACC")
        profile = account_profile(self, company)  # type: ignore[arg-type]
        profile.pop("account_manager")
        k.send(OpenAccount, account_id, account_name=company.name, account_type="prospect",
               created_by="data-migration", **profile)
        add_contacts(self, account_id, company, rng.randint(1, 2),  # type: ignore[arg-type]
                     "data-migration")
        return account_id

    def on_created(self, e: Any) -> None:
        """A migrated deal is known to the sales desk: give it its past and its stage."""
        past = self.pending.pop(e.aggregate_id, None)
        sales = self.desks["sales"]
        deal = sales.deals.get(e.aggregate_id) if past is not None else None
        if past is None or deal is None:
            return
        deal.created, deal.cycle, deal.won = past.created, past.cycle, past.won
        deal.loss_stage, deal.negotiate, deal.discount = (past.loss_stage, past.negotiate,
                                                          past.discount)
        # The sales desk planned the first step as if the deal were opened today; it is
        # replanned from the deal's real age (a `SalesDesk.adopt` hook would be cleaner).
        self.k.cancel("sales", "advance", e.aggregate_id)
        if past.stage != "prospecting":
            if deal.kind != "renewal":
                sales._add_products(e.aggregate_id, deal)
            if self.k.chance(0.5):
                sales._competitor(e.aggregate_id, deal)
            for stage in ("proposal", "negotiation") if past.stage == "negotiation" \
                    else (past.stage,):
                self.k.send(ChangeOpportunityStage, e.aggregate_id, actor=MIGRATION,
                            to_stage=stage,
                            changed_by=deal.owner, change_reason=f"{MIGRATED} (stage as "
                            "recorded there)")
            deal.stage = past.stage
            deal.revised = past.stage == "negotiation"  # the price talk happened before
        following = NEXT.get(past.stage)  # (the proposal's quote takes it from there)
        if following is not None:
            sales._next_step(e.aggregate_id, following)
        elif past.stage == "proposal":  # the quote's follow-up is the next step
            sales._plan_next_step(e.aggregate_id, deal, "follow_up", local_day(
                after(first_opening(self.k.now), 24 * 7, "office")))
