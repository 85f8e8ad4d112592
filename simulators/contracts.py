"""Contracts: service and maintenance agreements after a sale, renewals, the odd termination.

The core raises renewal alerts (with a renewal opportunity), renews auto-renewing
contracts and expires the rest. The business drafts, sends and gets contracts signed:
after a new machine is sold (an AMC or service contract, often), and when the renewal
opportunity of a contract that does not renew by itself is won.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.contracts.messages import (
    DraftContract,
    SendContractForSignature,
    SignContract,
    TerminateContract,
)
from simulators.kernel import CUSTOMER, SALES_OPS, Desk
from simulators.worktime import local_day
from simulators.world import pick

KINDS = (("maintenance", 40), ("service", 30), ("sales", 18), ("subscription", 12))
YEARLY = {"maintenance": (150_000, 2_500_000), "service": (300_000, 4_000_000),
          "sales": (1_000_000, 12_000_000), "subscription": (100_000, 800_000)}
BILLING = {"maintenance": (("quarterly", 50), ("annually", 50)),
           "service": (("monthly", 45), ("quarterly", 55)),
           "sales": (("one_time", 100),), "subscription": (("monthly", 60), ("annually", 40))}
SIZE_FACTOR = {"startup": 0.3, "small": 0.5, "medium": 1.0, "large": 1.6, "enterprise": 2.4}
SLA = ("Response within 4 hours, on-site within 24 hours, 98% uptime.",
       "Response within 8 hours, on-site within 48 hours.",
       "Two preventive visits per quarter; breakdown response next business day.")


def contract_terms(rng: random.Random, size: str | None, company: str,
                   kind: str | None = None) -> dict[str, Any]:
    """Terms of a contract of `kind` (drawn when None) for a company of `size`."""
    kind = kind or pick(rng, KINDS)
    months = pick(rng, (("12", 55), ("24", 25), ("36", 20)))
    low, high = YEARLY[kind]
    yearly = rng.uniform(low, high) * SIZE_FACTOR.get(size or "", 1.0)
    value = Decimal(int(min(yearly * int(months) / 12, 50_000_000)) // 1000 * 1000)
    label = {"maintenance": "Annual maintenance", "service": "Comprehensive service",
             "sales": "Rate contract", "subscription": "Remote monitoring subscription"}[kind]
    return dict(contract_name=f"{label} - {company}"[:200], contract_type=kind,
                contract_term_months=int(months), contract_value=value,
                billing_frequency=pick(rng, BILLING[kind]), auto_renewal=rng.random() < 0.45,
                renewal_notice_days=int(pick(rng, (("60", 70), ("90", 20), ("30", 10)))),
                termination_notice_days=rng.choice((30, 60, 90)),
                early_termination_penalty=(value * Decimal("0.1")).quantize(Decimal("1.00")),
                payment_terms=pick(rng, (("NET30", 65), ("NET60", 35))),
                service_level_agreement=rng.choice(SLA) if kind != "sales" else None,
                special_terms="Prices firm for the term; GST extra as applicable.")


@dataclass(slots=True)
class ContractFile:
    """A contract as the business knows it."""

    account_id: str
    status: str
    auto_renewal: bool
    end: date
    kind: str | None
    value: Decimal
    months: int
    name: str
    owner: str | None


class ContractDesk(Desk):
    """Drafts, sends and signs contracts; terminates a few."""

    NAME = "contracts"
    HANDLES = {"ContractDrafted": "on_drafted", "ContractSigned": "on_status",
               "ContractActivated": "on_status", "ContractExpired": "on_status",
               "ContractTerminated": "on_status", "ContractRenewed": "on_status",
               "ContractRenewalDue": "on_renewal_due", "OpportunityWon": "on_won",
               "OpportunityLost": "on_lost"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.contracts: dict[str, ContractFile] = {}
        self.renewals: dict[str, str] = {}  # renewal opportunity -> contract
        self.live: list[str] = []  # signed contracts, for the odd termination

    def on_drafted(self, e: Any) -> None:
        """Learn a contract (ours, or one the core created by renewing)."""
        self.contracts[e.aggregate_id] = ContractFile(
            e.account_id, "draft", e.auto_renewal, e.contract_end_date, e.contract_type,
            e.contract_value, e.contract_term_months or 12, e.contract_name, e.contract_owner)

    def on_status(self, e: Any) -> None:
        """Follow a contract's status."""
        contract = self.contracts.get(e.aggregate_id)
        if contract is None:
            return
        contract.status = {"ContractSigned": "signed", "ContractActivated": "active"}.get(
            e.event_type, "ended")
        if e.event_type == "ContractSigned":
            self.live.append(e.aggregate_id)

    def on_renewal_due(self, e: Any) -> None:
        """Remember which contract a renewal opportunity renews."""
        if e.renewal_opportunity_id:
            self.renewals[e.renewal_opportunity_id] = e.aggregate_id

    def on_won(self, e: Any) -> None:
        """A won renewal is re-signed (unless it renews itself); new machines get an AMC."""
        account_id = self.book.deal_account.pop(e.aggregate_id, "")
        old_id = self.renewals.pop(e.aggregate_id, None)
        if old_id is not None:
            old = self.contracts.get(old_id)
            if old is not None and not old.auto_renewal:
                self.later(self.k.hours(4, 48), "draft_renewal", old_id)
            return
        account = self.book.accounts.get(account_id)
        if account is not None and self.k.chance(0.4):
            self.later(self.k.hours(24, 120), "draft_after_sale", account.account_id)

    def on_lost(self, e: Any) -> None:
        """A lost renewal: the contract runs out (or renews itself) without us; the
        account team hears of it (it weighs in their churn review)."""
        old_id = self.renewals.pop(e.aggregate_id, None)
        old = self.contracts.get(old_id or "")
        if old is not None:
            self.k.schedule(self.k.now, "accounts", "renewal_lost", old.account_id, old.name,
                            (e.win_loss_reason or "renewal lost").rstrip(".").lower())

    def draft_after_sale(self, account_id: str) -> None:
        """An AMC or service contract starting when the equipment is delivered."""
        account = self.book.accounts[account_id]
        terms = contract_terms(self.k.rng, account.size, account.name,
                               pick(self.k.rng, (("maintenance", 60), ("service", 40))))
        start = local_day(self.k.now) + timedelta(days=self.k.rng.randrange(30, 75))
        self._draft(account_id, start, account.manager or account.owner, None, terms)

    def draft_renewal(self, old_id: str) -> None:
        """A renewal of a contract that does not renew by itself, a few per cent dearer."""
        old = self.contracts.get(old_id)
        if old is None:
            return
        uplift = Decimal(str(round(self.k.rng.uniform(1.03, 1.09), 3)))
        account = self.book.accounts.get(old.account_id)
        terms = contract_terms(self.k.rng, account.size if account else None, "", old.kind)
        terms.update(contract_name=old.name, contract_term_months=old.months,
                     contract_value=(old.value * uplift).quantize(Decimal("1.00")),
                     auto_renewal=self.k.chance(0.3))
        self._draft(old.account_id, old.end + timedelta(days=1), old.owner, old_id, terms)

    def _draft(self, account_id: str, start: date, owner: str | None, parent: str | None,
               terms: dict[str, Any]) -> None:
        account = self.book.accounts.get(account_id)
        if account is not None and account.churned:
            return  # the customer left before the paperwork: nothing to sign
        contract_id = self.k.new_id("CTR")
        self.k.send(DraftContract, contract_id, actor=owner or SALES_OPS, account_id=account_id,
                    contract_start_date=start,
                    contract_owner=owner, parent_contract_id=parent, created_by=owner, **terms)
        self.later(self.k.hours(8, 72), "send", contract_id)

    def send(self, contract_id: str) -> None:
        """Send the draft for signature; most customers sign within a few weeks."""
        contract = self.contracts.get(contract_id)
        if contract is None:
            return
        self.k.send(SendContractForSignature, contract_id, actor=contract.owner or SALES_OPS)
        if self.k.chance(0.88):
            self.later(24 * self.k.hours(2, 20), "sign", contract_id)

    def sign(self, contract_id: str) -> None:
        """The customer signs (its first contact, as the simulation knows the signatory)."""
        contract = self.contracts.get(contract_id)
        if contract is not None and contract.status == "draft":
            account = self.book.accounts.get(contract.account_id)
            self.k.send(SignContract, contract_id, actor=account.contacts[0]
                        if account is not None and account.contacts else CUSTOMER)

    def plan_day(self, day_start: Any) -> None:
        """About one contract in 250 a month is terminated early (closure, insourcing)."""
        if self.live and self.k.chance(len(self.live) / 250 / 30):
            self.later(self.k.hours(1, 9), "terminate")

    def terminate(self) -> None:
        """Terminate a live contract early."""
        self.live = [c for c in self.live if self.contracts[c].status != "ended"]
        if self.live:
            contract_id = self.k.rng.choice(self.live)
            self.k.send(TerminateContract, contract_id,
                        actor=self.contracts[contract_id].owner or SALES_OPS,
                        reason=self.k.rng.choice((
                "Plant closure", "Customer moved maintenance in-house",
                "Consolidated with group-level contract", "Persistent payment delays")))
            self.live.remove(contract_id)
