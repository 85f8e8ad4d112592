"""Account tiers (strategic, key, standard): how the account team sets and reviews them.

Every customer is tiered, as in a B2B manufacturer's CRM (Salesforce's "Customer
Priority" or an account-tier picklist): the account team sets the tier when the account
becomes a customer (its onboarding after the first order) from its potential (company size
and the first order), and reviews it once a year, on the customer's anniversary, from the
revenue of the last twelve months weighted by potential. The bands put about 3 % of
customers in strategic and 12 % in key (the key-account norm: the top 10-20 % of customers
bring 50-80 % of revenue; docs/simulation.md "Account tiers"). The core never defaults a
tier: like Salesforce it leaves the picklist empty until someone sets it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.accounts.messages import AddAccountTeamMember, UpdateAccount
from simulators.kernel import SALES_OPS
from simulators.worktime import at_local, local_day, office_share

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel

# a year's revenue is weighted by what the plant could buy (its size): the potential
POTENTIAL = {"startup": 0.6, "small": 0.8, "medium": 1.0, "large": 1.2, "enterprise": 1.5}
STRATEGIC_FROM = Decimal(40_000_000)  # ₹4 crore a year, potential-weighted (top ~3 %)
KEY_FROM = Decimal(15_000_000)  # ₹1.5 crore (the next ~12 %)
KEEP = Decimal("0.7")  # a review demotes only below 70 % of the band (one weak year is not enough)
FIRST_YEAR_ORDERS = 2  # a new customer's first year is about two orders of its first's size
# the case and campaign likelihood of a customer by tier (the weights of Book.add_customer)
WEIGHT = {"strategic": 5.0, "key": 2.5}
RANK = {"standard": 0, "key": 1, "strategic": 2}
REVIEW_HOUR = 11.5  # the account reviews of the day, after the morning's calls (IST)


def tier_by_revenue(yearly: Decimal, size: str | None, current: str | None = None) -> str:
    """The tier a year's revenue earns a plant of `size`; with `current`, a review's answer
    (a tier is kept until the revenue falls below `KEEP` of its band)."""
    weighted = yearly * Decimal(str(POTENTIAL.get(size or "", 1.0)))
    earned = ("strategic" if weighted >= STRATEGIC_FROM else
              "key" if weighted >= KEY_FROM else "standard")
    if current in RANK and RANK[earned] < RANK[current]:
        band = STRATEGIC_FROM if current == "strategic" else KEY_FROM
        if weighted >= band * KEEP:
            return current
        return "key" if current == "strategic" and weighted >= KEY_FROM * KEEP else earned
    return earned


def onboarding_tier(size: str | None, first_order: Decimal) -> str:
    """A new customer's tier from its first order and size; only an enterprise plant can
    start as strategic (a smaller one earns it at a review)."""
    tier = tier_by_revenue(first_order * FIRST_YEAR_ORDERS, size)
    return "key" if tier == "strategic" and size != "enterprise" else tier


class AccountTiers:
    """Tiering by the account team (mixed into `AccountDesk`)."""

    # provided by Desk / AccountDesk
    k: Kernel
    book: Book
    since: dict[str, date]  # customer -> customer since (its review is on the anniversary)
    trade: dict[str, list[tuple[date, Decimal]]]  # customer -> orders in the CRM
    run_rate: dict[str, Decimal]  # migrated customer -> yearly revenue before the CRM
    go_live: date
    reviews_due: list[str]  # customers whose anniversary review is waiting for an office day
    tiered: dict[str, None]  # accounts whose tier the core holds
    at: Callable[..., None]  # Desk.at

    def set_tier(self, account_id: str, tier: str, note: str) -> None:
        """Record a tier (the core, and the book's case weights); a new strategic account
        gets a director as executive sponsor."""
        account = self.book.accounts[account_id]
        if account.tier == tier and account_id in self.tiered:
            return
        self.note_tier(account_id, tier)
        who = account.manager or account.owner or SALES_OPS  # the account team's review
        self.k.send(UpdateAccount, account_id, actor=who, account_tier=tier, notes=note)
        if tier == "strategic" and not any(key.endswith("/executive_sponsor")
                                           for key in account.team):
            sponsor = self.book.any_of(self.k.rng, "Director")
            if sponsor is not None:
                self.k.send(AddAccountTeamMember, account_id, actor=who, sales_rep_id=sponsor,
                            team_role="executive_sponsor")

    def note_tier(self, account_id: str, tier: str) -> None:
        """Remember a tier about to be sent (and weigh the customer's cases by it)."""
        self.tiered[account_id] = None
        self.book.accounts[account_id].tier = tier
        if account_id in self.book.customers:
            self.book.customer_weight[self.book.customers.index(account_id)] = \
                WEIGHT.get(tier, 1.0)

    def plan_tier_reviews(self, day: date) -> None:
        """Customers whose anniversary is `day` are due a review; reviews take place on
        the next office day (a Sunday's or holiday's wait)."""
        for account_id in self.book.customers:
            since = self.since.get(account_id)
            if since is not None and since < day and (since.month, since.day) == (
                    day.month, day.day):
                self.reviews_due.append(account_id)
        if self.reviews_due and office_share(day) > 0:
            self.at(at_local(day, REVIEW_HOUR), "review_tiers")  # (no draw: same history)

    def review_tiers(self) -> None:
        """The yearly account reviews due: last twelve months' revenue sets the tier."""
        due, self.reviews_due[:] = list(self.reviews_due), []
        for account_id in due:
            account = self.book.accounts.get(account_id)
            if account is None or not account.customer:
                continue
            tier = tier_by_revenue(self.yearly_revenue(account_id), account.size, account.tier)
            if tier != account.tier or account_id not in self.tiered:
                self.set_tier(account_id, tier, f"Annual account review: {tier} account")

    def yearly_revenue(self, account_id: str) -> Decimal:
        """Revenue of the last 365 days: orders in the CRM, and before go-live the
        customer's yearly rate then (pro rata)."""
        today = local_day(self.k.now)
        start = today - timedelta(days=365)
        booked = sum((amount for on, amount in self.trade.get(account_id, ())
                      if on > start), Decimal(0))
        before = max(0, (self.go_live - start).days)
        return booked + self.run_rate.get(account_id, Decimal(0)) * before / 365
