"""Every customer is tiered, by its revenue and potential, as a real account team does it
(issue 14: "fill what a real CRM would hold"; docs/simulation.md "Account tiers")."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from simulated_history import History, shared

from simulators.book import AccountFile, Book
from simulators.tiers import AccountTiers, onboarding_tier, tier_by_revenue
from simulators.worktime import IST

CRORE = Decimal(10_000_000)


# ------------------------------------------------------------------ the bands
def test_a_medium_plant_is_standard_below_1_5_crore_a_year_and_key_from_it() -> None:
    assert tier_by_revenue(Decimal("1.49") * CRORE, "medium") == "standard"
    assert tier_by_revenue(Decimal("1.5") * CRORE, "medium") == "key"
    assert tier_by_revenue(Decimal("3.99") * CRORE, "medium") == "key"
    assert tier_by_revenue(Decimal(4) * CRORE, "medium") == "strategic"


def test_an_enterprise_plant_earns_its_tier_with_less_revenue_than_a_small_one() -> None:
    # potential: enterprise x1.5, small x0.8 (₹1 crore x 1.5 = 1.5: key; x 0.8: standard)
    assert tier_by_revenue(CRORE, "enterprise") == "key"
    assert tier_by_revenue(CRORE, "small") == "standard"
    assert tier_by_revenue(Decimal(3) * CRORE, "enterprise") == "strategic"


def test_a_review_keeps_the_tier_until_revenue_falls_below_70_percent_of_its_band() -> None:
    assert tier_by_revenue(Decimal("1.1") * CRORE, "medium", "key") == "key"
    assert tier_by_revenue(Decimal("1.0") * CRORE, "medium", "key") == "standard"
    assert tier_by_revenue(Decimal("2.9") * CRORE, "medium", "strategic") == "strategic"
    assert tier_by_revenue(Decimal("2.7") * CRORE, "medium", "strategic") == "key"
    assert tier_by_revenue(Decimal("0.5") * CRORE, "medium", "strategic") == "standard"


def test_a_review_promotes_as_soon_as_revenue_reaches_the_band() -> None:
    assert tier_by_revenue(Decimal(4) * CRORE, "medium", "standard") == "strategic"


def test_a_new_customer_is_tiered_on_its_first_order_as_a_year_of_two_such_orders() -> None:
    assert onboarding_tier("medium", Decimal(7_000_000)) == "standard"  # ₹1.4 crore a year
    assert onboarding_tier("medium", Decimal(7_500_000)) == "key"
    assert onboarding_tier("enterprise", Decimal(15_000_000)) == "strategic"


def test_only_an_enterprise_plant_starts_as_strategic() -> None:
    assert onboarding_tier("large", Decimal(50_000_000)) == "key"
    assert onboarding_tier("enterprise", Decimal(50_000_000)) == "strategic"


# ------------------------------------------------------------------ the yearly review
class FakeDesk(AccountTiers):
    """Just enough of the account desk to run its tier reviews."""

    def __init__(self, today: date) -> None:
        now = datetime(today.year, today.month, today.day, 11, 0, tzinfo=IST)
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.k: Any = SimpleNamespace(rng=random.Random(1), now=now, send=self._send)
        self.book = Book()
        self.since, self.trade, self.run_rate = {}, {}, {}
        self.go_live, self.reviews_due, self.tiered = date(2025, 9, 1), [], {}
        self.planned: list[tuple[datetime, str]] = []

    def _send(self, kind: type, aggregate_id: str, **fields: Any) -> None:
        self.sent.append((kind.__name__, aggregate_id, fields))

    def at(self, due: datetime, method: str, *args: object) -> None:
        """Record the planned action."""
        self.planned.append((due, method))

    def customer(self, account_id: str, since: date, tier: str, yearly: Decimal) -> None:
        self.book.accounts[account_id] = AccountFile(account_id, account_id, "Cement",
                                                     "medium", "Gujarat", "REP-1", tier)
        self.book.add_customer(account_id)
        self.since[account_id], self.run_rate[account_id] = since, yearly
        self.tiered[account_id] = None


def test_a_customer_is_reviewed_on_its_anniversary_and_a_sunday_one_on_monday() -> None:
    desk = FakeDesk(date(2025, 9, 8))
    desk.customer("ACC-1", date(2019, 9, 7), "standard", CRORE)  # 7 Sep 2025: a Sunday
    desk.customer("ACC-2", date(2020, 9, 9), "standard", CRORE)
    desk.plan_tier_reviews(date(2025, 9, 7))
    assert (desk.reviews_due, desk.planned) == (["ACC-1"], [])
    desk.plan_tier_reviews(date(2025, 9, 8))
    assert desk.reviews_due == ["ACC-1"]
    assert [(d.astimezone(IST).date(), m) for d, m in desk.planned] == [
        (date(2025, 9, 8), "review_tiers")]


def test_the_review_sets_the_tier_of_the_last_twelve_months_revenue() -> None:
    desk = FakeDesk(date(2025, 12, 1))
    desk.customer("ACC-1", date(2019, 12, 1), "standard", CRORE)
    # the last 12 months: ₹1 crore a year before go-live (Dec-Aug: 0.75) and ₹2 crore since
    desk.trade["ACC-1"] = [(date(2025, 10, 6), 2 * CRORE)]
    desk.customer("ACC-2", date(2018, 12, 1), "key", Decimal("0.4") * CRORE)
    desk.reviews_due[:] = ["ACC-1", "ACC-2"]
    desk.review_tiers()
    assert [(a, f["account_tier"]) for _, a, f in desk.sent] == [
        ("ACC-1", "key"), ("ACC-2", "standard")]
    assert desk.book.customer_weight == [2.5, 1.0]  # cases and campaigns follow the tier
    assert desk.reviews_due == []


def test_a_review_that_confirms_the_tier_changes_nothing() -> None:
    desk = FakeDesk(date(2025, 12, 1))
    desk.customer("ACC-1", date(2019, 12, 1), "key", 2 * CRORE)
    desk.reviews_due[:] = ["ACC-1"]
    desk.review_tiers()
    assert desk.sent == []


def test_a_customer_reviewed_into_strategic_gets_an_executive_sponsor() -> None:
    desk = FakeDesk(date(2025, 12, 1))
    desk.book.reps["DIR-1"] = SimpleNamespace(rep_id="DIR-1", role="Director",  # type: ignore
                                              territory=None, manager=None, active=True)
    desk.customer("ACC-1", date(2019, 12, 1), "key", 6 * CRORE)  # 4.5 in 12 months
    desk.reviews_due[:] = ["ACC-1"]
    desk.review_tiers()
    assert [(kind, f.get("account_tier") or f.get("team_role")) for kind, _, f in desk.sent] == [
        ("UpdateAccount", "strategic"), ("AddAccountTeamMember", "executive_sponsor")]


# ------------------------------------------------------------------ a simulated history
@pytest.fixture(scope="module")
def history() -> History:
    return shared(45, 0.3).first(30)  # the behaviour tests' history, folded once


def tiers_of(history: History) -> tuple[dict[str, str | None], dict[str, tuple[str, str]]]:
    """(account -> its tier, account -> (type, relationship status)) at the end."""
    tiers: dict[str, str | None] = {}
    kind: dict[str, tuple[str, str]] = {}
    for e in history.events:
        if e.event_type == "AccountCreated":
            tiers[e.aggregate_id] = e.account_tier  # type: ignore[attr-defined]
        if e.event_type == "AccountUpdated" and e.account_tier:  # type: ignore[attr-defined]
            tiers[e.aggregate_id] = e.account_tier  # type: ignore[attr-defined]
        if e.event_type in ("AccountCreated", "AccountRevenueRecorded",
                            "AccountRelationshipChanged"):
            kind[e.aggregate_id] = (e.account_type,  # type: ignore[attr-defined]
                                    e.relationship_status)  # type: ignore[attr-defined]
    return tiers, kind


def test_every_customer_has_a_tier_once_onboarded(history: History) -> None:
    tiers, kind = tiers_of(history)
    end = history.events[-1].occurred_at
    first_order: dict[str, datetime] = {}
    for e in history.of("AccountRevenueRecorded"):
        first_order.setdefault(e.aggregate_id, e.occurred_at)
    customers = [a for a, k in kind.items() if k == ("customer", "active")]
    onboarded = [a for a in customers if a not in first_order
                 or (end - first_order[a]).days >= 5]  # onboarding: 1-3 office days
    migrated = {e.aggregate_id for e in history.of("AccountCreated")
                if e.account_type == "customer"}  # type: ignore[attr-defined]
    new = [a for a in onboarded if a not in migrated]  # customers since their first order
    assert len(customers) > 250 and len(new) >= 10
    assert [a for a in onboarded if tiers[a] is None] == []


def test_the_customers_tier_shares_are_within_the_documented_bands(history: History) -> None:
    tiers, kind = tiers_of(history)
    tiered = [tiers[a] for a, k in kind.items() if k == ("customer", "active") and tiers[a]]
    strategic, key = tiered.count("strategic") / len(tiered), tiered.count("key") / len(tiered)
    assert 0.01 <= strategic <= 0.06
    assert 0.06 <= key <= 0.18


def test_the_same_seed_gives_the_same_tiers() -> None:
    runs = [History(12, 0.2, seed=5) for _ in range(2)]
    changes = [[(e.aggregate_id, e.account_tier) for e in run.events  # type: ignore[attr-defined]
                if e.event_type in ("AccountCreated", "AccountUpdated")
                and e.account_tier] for run in runs]  # type: ignore[attr-defined]
    assert changes[0] == changes[1] and len(changes[0]) > 100
