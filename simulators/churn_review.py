"""The account managers' weekly churn review (mixed into `AccountChurn`): every customer is
looked at against what the data shows (churn risk, SLA breaches, escalations, a lost
renewal, months of complaints) and marked churned, inactive (no order for a year, no
contract in force) or, after corrective action, recovered."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.accounts.messages import ChangeAccountRelationship
from domain.interactions.messages import RecordInteraction
from simulators.kernel import SALES_OPS
from simulators.worktime import local_day

if TYPE_CHECKING:
    from collections.abc import Callable

    from simulators.book import Book
    from simulators.churn import Signals
    from simulators.kernel import Kernel


LOST_RENEWAL_LEAVE_P = 0.3  # a lost renewal ends the relationship by itself
WINDOW = 90  # days the review looks back


class ChurnReview:
    """The weekly churn review and its outcomes (mixed into `AccountChurn`)."""

    # provided by Desk / AccountDesk / AccountChurn
    k: Kernel
    book: Book
    last_order: dict[str, date]
    live_contracts: dict[str, list[str]]
    _signals: Callable[[str], Signals]

    def churn_review(self) -> None:
        """The weekly review of every customer: churned, inactive, recovered."""
        today = local_day(self.k.now)
        dealing = set(self.book.deal_account.values())
        for account_id in list(self.book.customers):
            s = self._signals(account_id)
            if s.status in ("churned",):
                continue
            for dates in (s.breaches, s.escalations, s.complaints):
                while dates and (today - dates[0]).days > WINDOW:
                    dates.pop(0)
            reason = self._leaving(account_id, s, today)
            if reason is not None:
                self.churn(account_id, reason)
            elif s.status != "inactive" and self._lapsed(account_id, today, dealing):
                last = self.last_order.get(account_id)
                self.k.send(ChangeAccountRelationship, account_id,
                            actor=self._reviewer(account_id), relationship_status="inactive",
                            reason=f"No orders in 12 months (last order {last:%d %b %Y}); "
                                   "no contract in force")

    def _reviewer(self, account_id: str) -> str:
        """Who looks after the account in the review: its manager, else its owner."""
        account = self.book.accounts[account_id]
        return account.manager or account.owner or SALES_OPS

    def _lapsed(self, account_id: str, today: date, dealing: set[str]) -> bool:
        last = self.last_order.get(account_id)
        return (last is not None and (today - last).days > 365
                and not self.live_contracts.get(account_id) and account_id not in dealing)

    def _leaving(self, account_id: str, s: Signals, today: date) -> str | None:
        """Why the customer is leaving now (true of the data), or None."""
        k = self.k
        shows = self._evidence(s)
        if s.lost_renewal is not None and not s.renewal_reviewed:
            s.renewal_reviewed = True
            if k.chance(LOST_RENEWAL_LEAVE_P) or (s.souring and s.souring[2]):
                when, contract, why = s.lost_renewal
                return (f"Did not renew '{contract}' ({why}, {when:%d %b %Y})"
                        + (f"; {shows}" if shows else ""))[:480]
        if s.souring is None:
            if s.risk == "high" and s.health is not None and k.chance(0.05):
                return f"Moved to another supplier; {shows}"[:480]
            return None
        since, cause, leaves = s.souring
        age = (today - since).days
        if not leaves:
            if age >= 56 and k.chance(0.3):  # corrective action worked
                s.souring = None
                self._recovered(account_id)
            return None
        if age >= 28 and (s.risk == "high" or s.breaches or s.escalations) or age >= 120:
            return f"Moved to another supplier after {cause} problems; {shows}"[:480]
        return None

    def _evidence(self, s: Signals) -> str:
        """What the data shows about the relationship, in words."""
        parts = []
        if s.health is not None:
            parts.append(f"health {s.health} ({s.risk} churn risk)")
        if s.complaints:
            parts.append(f"{len(s.complaints)} complaints since {s.complaints[0]:%d %b}")
        if s.breaches:
            parts.append(f"{len(s.breaches)} cases past their SLA in 90 days")
        if s.escalations:
            parts.append(f"{len(s.escalations)} escalations")
        return ", ".join(parts)

    def _recovered(self, account_id: str) -> None:
        account = self.book.accounts[account_id]
        self.k.send(RecordInteraction, self.k.new_id("INT"), actor=self._reviewer(account_id),
                    account_id=account_id,
                    contact_id=account.contacts[0] if account.contacts else None,
                    interaction_type="meeting", subject="Corrective action review",
                    direction="outbound", sentiment="positive", duration_minutes=60,
                    performed_by=account.manager or account.owner)

    def churn(self, account_id: str, reason: str) -> None:
        """Mark the customer churned (the core closes its open deals lost)."""
        self.k.send(ChangeAccountRelationship, account_id, actor=self._reviewer(account_id),
                    relationship_status="churned", reason=reason)
        self._signals(account_id).souring = None
        self.book.drop_customer(account_id)
