"""The work that goes with each stage of a deal (mixed into `SalesDesk`): scoping calls,
demos, site visits and presentations planned in office hours, price-book product lines,
competitors, the close date corrected at proposal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.activities.messages import CompleteActivity, LogActivity
from domain.interactions.messages import AddNote
from domain.opportunities.figures import price_line
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityTerms,
    NoteOpportunityCompetitor,
)
from simulators.catalog import COMPETITORS, FAMILIES, PRODUCTS, list_price
from simulators.installed import add_contacts
from simulators.kernel import SALES_OPS
from simulators.worktime import after, fit, local_day
from simulators.world import pick

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.sales import Deal
    from simulators.world import World

AGENDA = {"call": "Scope, budget, decision process and timeline",
          "demo": "Machine demonstration on the customer's sample parts; cycle-time study",
          "site_visit": "Plant walk-through: layout, foundations, power and utilities",
          "presentation": "Solution and commercial offer walk-through with the buying team"}


class DealWork:
    """A deal owner's work at each stage (mixed into `SalesDesk`)."""

    # provided by Desk: k, world, book, at()
    k: Kernel
    world: World
    book: Book
    at: Any
    _estimate_cost: Any  # DealRecords'

    def _activity(self, opp_id: str, deal: Deal, kind: str, subject: str,
                  planned_in_days: float = 0) -> None:
        """A call or meeting on the deal: held now, or planned `planned_in_days` working
        days ahead, inside office hours (it ends before the office closes)."""
        rng = self.k.rng
        activity_id = self.k.new_id("ACT")
        minutes = rng.choice((30, 45, 60, 90, 120))
        when = self.k.now
        if planned_in_days:
            when = fit(after(self.k.now, 24 * planned_in_days, "office"), minutes)
        account = self.book.accounts.get(deal.account_id)
        contacts = account.contacts[:3] if account else []
        self.k.send(LogActivity, activity_id, actor=deal.rep(), activity_type=kind,
                    related_to_type="opportunity", related_to_id=opp_id, opportunity_id=opp_id,
                    account_id=deal.account_id, contact_id=contacts[0] if contacts else None,
                    subject=subject, description=AGENDA.get(kind), activity_date=when,
                    duration_minutes=minutes,
                    location=f"{account.name} plant"[:200] if kind == "site_visit" and account
                    else "Customer's office" if kind in ("demo", "presentation") else None,
                    attendees=contacts or None,
                    activity_status="planned" if planned_in_days else "completed",
                    assigned_to=deal.owner, created_by=deal.owner,
                    priority="high" if deal.amount > 5_000_000 else "medium",
                    reminder_enabled=bool(planned_in_days),
                    reminder_datetime=when - timedelta(days=1) if planned_in_days else None)
        if planned_in_days:
            self.at(after(when + timedelta(minutes=minutes), rng.uniform(0.2, 3), "office"),
                    "activity_done", activity_id, deal.owner)

    def activity_done(self, activity_id: str, owner: str | None = None) -> None:
        """A planned demo or visit took place (its owner records the outcome)."""
        self.k.send(CompleteActivity, activity_id, actor=owner or SALES_OPS,
                    outcome=pick(self.k.rng, (
            ("successful", 60), ("follow_up_needed", 30), ("no_decision", 10))),
            outcome_notes="Customer team attended; technical queries answered.")

    def _enter_qualification(self, opp_id: str, deal: Deal) -> None:
        self._activity(opp_id, deal, "call", "Scoping call")
        if deal.kind != "renewal":
            self._add_products(opp_id, deal)
        if self.k.chance(0.5):
            self._competitor(opp_id, deal)

    def _enter_needs_analysis(self, opp_id: str, deal: Deal) -> None:
        kind = self.k.rng.choice(("demo", "site_visit", "presentation"))
        self._activity(opp_id, deal, kind, f"{kind.replace('_', ' ').title()} for the "
                       "evaluation team", planned_in_days=self.k.rng.uniform(1, 6))
        account = self.book.accounts.get(deal.account_id)
        company = self.world.company(account.name) if account else None
        if company is not None and self.k.chance(0.3):
            add_contacts(self, deal.account_id, company, 1, deal.owner or "system")
        if self.k.chance(0.3):
            self._competitor(opp_id, deal)

    def _enter_proposal(self, opp_id: str, deal: Deal) -> None:
        expected = local_day(deal.created + timedelta(days=deal.cycle))
        expected = max(expected, local_day(self.k.now) + timedelta(days=14))
        if abs((expected - deal.close_date).days) > 10:  # keep the forecast honest
            self.k.send(ChangeOpportunityTerms, opp_id, actor=deal.rep(), close_date=expected,
                        changed_by=deal.owner)
            deal.close_date = expected
        self._activity(opp_id, deal, "presentation", "Proposal walk-through")
        if self.k.chance(0.3):
            self.k.send(AddNote, self.k.new_id("NOTE"), actor=deal.rep(),
                        related_to_type="opportunity",
                        related_to_id=opp_id, title="Commercial discussion",
                        note_text="Customer wants delivery before the next shutdown; GST "
                                  "and freight to be shown separately.", created_by=deal.owner)

    def _competitor(self, opp_id: str, deal: Deal) -> None:
        deal.competitors += 1
        deal.rival = self.k.rng.choice(COMPETITORS)  # (the latest named, for the win note)
        self.k.send(NoteOpportunityCompetitor, opp_id, actor=deal.rep(),
                    competitor_name=deal.rival,
                    competitive_position=pick(self.k.rng, (("leading", 40), ("competitive", 45),
                                                           ("behind", 15))))

    def _add_products(self, opp_id: str, deal: Deal) -> Decimal:
        """One to three price-book lines adding up to about the expected deal value.

        The list price is the price book's (`catalog.list_price`), the same for every
        customer; the size comes from quantities and the terms from the line discount:
        the deal's, a volume slab on bulk items (+1 % from 1,000 units, +2 % from 5,000)
        and +2 % for key accounts. Returns the deal's new amount (the lines' total)."""
        rng = self.k.rng
        family = deal.category if deal.category in FAMILIES else rng.choice(FAMILIES)
        items = [p for p in PRODUCTS if p.family == family]
        chosen = rng.sample(items, min(len(items), rng.randint(1, 3)))
        if rng.random() < 0.3:
            chosen.append(rng.choice([p for p in PRODUCTS if p.family.startswith("Spares")]))
        shares = [rng.uniform(0.5, 1.5) for _ in chosen]
        budget = min(float(deal.amount), 50_000_000.0)
        today = local_day(self.k.now)
        account = self.book.accounts.get(deal.account_id)
        tier = 2.0 if account is not None and account.tier in ("key", "strategic") else 0.0
        amount = Decimal(0)
        for product, share in zip(chosen, shares, strict=True):
            target = budget * share / sum(shares)
            if product.price > 1.5 * target:  # too big for this budget: what fits
                fitting = [p for p in items if p.price <= 1.5 * target] or [
                    p for p in PRODUCTS if p.price <= 1.5 * target]
                product = rng.choice(fitting) if fitting else product
            price = list_price(product, today)
            quantity = max(1, round(target / price))
            if product.uom == "kg":
                quantity = max(50, round(quantity / 50) * 50)
            slab = 2.0 if quantity >= 5000 else 1.0 if quantity >= 1000 else 0.0
            discount = max(0.0, min(30.0, deal.discount + rng.uniform(-1, 1) + slab + tier))
            amount += price_line(Decimal(quantity), Decimal(price),
                                 Decimal(f"{discount:.2f}"))[1]
            self.k.send(AddOpportunityProduct, opp_id, actor=deal.rep(),
                        material_id=product.material_id,
                        product_name=product.name,
                        product_description=f"{product.family}; delivery {product.lead_days} "
                                            "days from order",
                        quantity=Decimal(quantity), unit_of_measure=product.uom,
                        list_price=Decimal(price), discount_pct=Decimal(f"{discount:.2f}"),
                        required_date=today + timedelta(days=product.lead_days + 30))
        self._estimate_cost(opp_id, deal, amount, family)  # the scope is known: cost again
        return amount
