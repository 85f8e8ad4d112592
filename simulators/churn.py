"""Churn: why customers leave, and how the business sees it coming.

A customer's relationship sours now and then (a quality problem, late deliveries, a price
dispute, poor service): it complains (negative calls and e-mails, complaint cases), so the
core's health score falls and SLA breaches and escalations pile up. Most soured customers
leave, some recover after corrective action. A lost renewal ends some relationships by
itself. A customer that has not ordered for a year and has no contract in force lapses.

The business decides from what it knows (never from the hidden fate alone): the account
managers' weekly review marks an account churned when its fate is to leave *and* the data
shows it (high churn risk, breaches or escalations, a lost renewal, or months of
complaints), inactive when its last order is a year old; the reason names what the data
shows. Rates and sources: docs/simulation.md, "Churn".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.cases.messages import OpenCase
from domain.interactions.messages import RecordInteraction
from simulators.churn_review import ChurnReview
from simulators.worktime import at_local, local_day, office_times, window
from simulators.world import pick

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.world import World

SOURING_PER_YEAR = 0.12  # share of customers whose relationship sours in a year
LEAVE_P = 0.65  # a soured customer leaves; the others recover
CAUSES = {
    "quality": ("quality", "Repeated quality rejections on supplied parts"),
    "delivery": ("delivery", "Deliveries late against committed dates"),
    "price": ("billing", "Prices not competitive against a new supplier"),
    "service": ("technical", "Breakdown support too slow"),
}


@dataclass(slots=True)
class Signals:
    """What the account team knows about one customer's relationship."""

    breaches: list[date] = field(default_factory=list)  # cases that breached their SLA
    escalations: list[date] = field(default_factory=list)
    complaints: list[date] = field(default_factory=list)  # the soured customer's complaints
    health: int | None = None
    risk: str | None = None
    lost_renewal: tuple[date, str, str] | None = None  # (when, contract, why)
    renewal_reviewed: bool = True
    souring: tuple[date, str, bool] | None = None  # (since, cause, leaves)
    status: str = "active"


def office_day(day: date) -> date:
    """`day`, or the next day the office is open (Sundays and holidays are closed)."""
    while window(day, "office") is None:
        day += timedelta(days=1)
    return day


class AccountChurn(ChurnReview):
    """Souring, recovery and the weekly churn review (mixed into `AccountDesk`)."""

    CHURN_HANDLES = {"AccountHealthScored": "on_health", "CaseOpened": "on_case",
                     "CaseSlaViolated": "on_breach", "CaseEscalated": "on_escalated",
                     "CaseClosed": "on_case_closed",
                     "AccountRelationshipChanged": "on_relationship",
                     "ContractDrafted": "on_contract", "ContractSigned": "on_contract_live",
                     "ContractExpired": "on_contract_ended",
                     "ContractTerminated": "on_contract_ended"}
    # provided by Desk / AccountDesk
    k: Kernel
    world: World
    book: Book
    signals: dict[str, Signals]
    last_order: dict[str, date]
    case_account: dict[str, str]
    contract_account: dict[str, str]
    live_contracts: dict[str, list[str]]

    at: Callable[..., None]  # Desk's
    later: Callable[..., datetime]
    breached_cases: dict[str, None]

    def _signals(self, account_id: str) -> Signals:
        return self.signals.setdefault(account_id, Signals())

    # ------------------------------------------------------------------ learning
    def on_health(self, e: Any) -> None:
        """The core rescored the account."""
        s = self._signals(e.aggregate_id)
        s.health, s.risk = e.health_score, e.churn_risk

    def on_case(self, e: Any) -> None:
        """Remember whose case it is (breach events name only the case)."""
        self.case_account[e.aggregate_id] = e.account_id

    def on_breach(self, e: Any) -> None:
        """An SLA breach: counted once per case."""
        account_id = self.case_account.get(e.aggregate_id)
        if account_id is not None and e.aggregate_id not in self.breached_cases:
            self.breached_cases[e.aggregate_id] = None
            self._signals(account_id).breaches.append(local_day(e.occurred_at))

    def on_escalated(self, e: Any) -> None:
        """An escalation to a manager."""
        account_id = self.case_account.get(e.aggregate_id)
        if account_id is not None:
            self._signals(account_id).escalations.append(local_day(e.occurred_at))

    def on_case_closed(self, e: Any) -> None:
        """A closed case is no longer followed."""
        self.case_account.pop(e.aggregate_id, None)
        self.breached_cases.pop(e.aggregate_id, None)

    def on_relationship(self, e: Any) -> None:
        """Follow the relationship status."""
        self._signals(e.aggregate_id).status = e.relationship_status

    def on_contract(self, e: Any) -> None:
        """Remember whose contract it is."""
        self.contract_account[e.aggregate_id] = e.account_id

    def on_contract_live(self, e: Any) -> None:
        """A contract in force."""
        account_id = self.contract_account.get(e.aggregate_id)
        if account_id is not None:
            self.live_contracts.setdefault(account_id, []).append(e.aggregate_id)

    def on_contract_ended(self, e: Any) -> None:
        """A contract no longer in force."""
        live = self.live_contracts.get(self.contract_account.get(e.aggregate_id, ""), [])
        if e.aggregate_id in live:
            live.remove(e.aggregate_id)

    def renewal_lost(self, account_id: str, contract: str, why: str) -> None:
        """The contracts desk tells: the renewal of a contract was lost."""
        s = self._signals(account_id)
        s.lost_renewal, s.renewal_reviewed = (local_day(self.k.now), contract, why), False

    # ------------------------------------------------------------------ souring
    def plan_churn(self, day: date) -> None:
        """Office days: some relationships start to sour; Mondays: the churn review."""
        k, book = self.k, self.book
        candidates = [a for a in book.customers if book.accounts[a].tier != "strategic"]
        for _ in range(k.count(len(candidates) * SOURING_PER_YEAR / 300)):
            account_id = k.rng.choice(candidates)
            s = self._signals(account_id)
            if s.souring is None and s.status not in ("churned", "inactive"):
                s.souring = (day, k.rng.choice(tuple(CAUSES)), k.chance(LEAVE_P))
                self.at(office_times(office_day(day), 1, k.rng)[0], "complain", account_id)
        if day.weekday() == 0:  # the Monday review (the next working day after a holiday)
            self.at(at_local(office_day(day), 10), "churn_review")

    def complain(self, account_id: str) -> None:
        """A soured customer complains (a negative contact, often a complaint case)."""
        k, rng = self.k, self.k.rng
        s = self._signals(account_id)
        account = self.book.accounts.get(account_id)
        if s.souring is None or account is None or account_id not in self.book.customers:
            return
        category, subject = CAUSES[s.souring[1]]
        s.complaints.append(local_day(k.now))
        k.send(RecordInteraction, k.new_id("INT"), actor=self._reviewer(account_id),
               account_id=account_id,
               contact_id=account.contacts[0] if account.contacts else None,
               interaction_type=pick(rng, (("call", 60), ("email", 30), ("meeting", 10))),
               subject=subject, direction="inbound", sentiment="negative",
               duration_minutes=rng.choice((10, 15, 30)),
               performed_by=account.manager or account.owner)
        if k.chance(0.5):
            k.send(OpenCase, k.new_id("CASE"), account_id=account_id,
                   contact_id=account.contacts[0] if account.contacts else None,
                   subject=subject, description=f"Complaint from {account.name}: {subject}.",
                   case_type="complaint", case_category=category,
                   priority=pick(rng, (("high", 50), ("medium", 40), ("critical", 10))),
                   created_by=account.contacts[0] if account.contacts else "customer-portal")
        self.later(24 * k.hours(5, 12), "complain", account_id)
