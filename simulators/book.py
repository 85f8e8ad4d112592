"""What the business knows about its own people and customers, learned from events.

The simulation never reads the core's state: reps, accounts, contacts and their ids are
recorded here when the derived events (SalesRepHired, AccountCreated, ContactCreated ...)
come back. Collections are dicts and lists (insertion ordered), never iterated sets, so
every choice made from them is the same on every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Rep:
    """A member of the sales organisation."""

    rep_id: str
    role: str
    territory: str | None
    manager: str | None
    active: bool = True


@dataclass(slots=True)
class AccountFile:
    """An account as the business knows it."""

    account_id: str
    name: str
    industry: str | None
    size: str | None
    state: str | None
    owner: str | None
    tier: str = "standard"
    customer: bool = False
    churned: bool = False
    customer_id: str | None = None
    manager: str | None = None
    parent: str | None = None
    group: int = -1
    contacts: list[str] = field(default_factory=list)
    team: dict[str, str] = field(default_factory=dict)  # "rep/role" -> team_member_id


@dataclass(slots=True)
class ContactFile:
    """A person at an account."""

    contact_id: str
    account_id: str
    name: tuple[str, str]
    email: str | None
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class CampaignTarget:
    """Whom a running campaign reaches and when its leads can arrive (attribution)."""

    kind: str
    industry: str | None  # None: every industry
    size: str | None  # None: every company size
    states: tuple[str, ...]  # empty: all of India
    first: date  # first day a lead can come from it (launch)
    last: date  # last day (end date, plus the follow-up days of a trade show)

    def reaches(self, industry: str, size: str, state: str) -> bool:
        """Whether a company of this segment and region is in the campaign's audience."""
        return ((self.industry is None or self.industry == industry)
                and (self.size is None or self.size == size)
                and (not self.states or state in self.states))


@dataclass
class Book:
    """Shared knowledge of the desks."""

    reps: dict[str, Rep] = field(default_factory=dict)
    territories: dict[str, str] = field(default_factory=dict)  # territory code -> id
    accounts: dict[str, AccountFile] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)  # normalised name -> account id
    customers: list[str] = field(default_factory=list)  # accounts that buy from us
    customer_weight: list[float] = field(default_factory=list)  # case likelihood, same order
    contacts: dict[str, ContactFile] = field(default_factory=dict)
    group_parent: dict[int, str] = field(default_factory=dict)  # group -> parent account
    orders: dict[str, list[str]] = field(default_factory=dict)  # account -> sales orders
    deal_account: dict[str, str] = field(default_factory=dict)  # opportunity -> account
    erp_logs: dict[str, str] = field(default_factory=dict)  # integration log -> account
    running: dict[str, str] = field(default_factory=dict)  # running campaign -> its type
    targets: dict[str, CampaignTarget] = field(default_factory=dict)  # campaign -> audience
    nurturing: dict[str, str] = field(default_factory=dict)  # nurtured lead -> its rep

    def role(self, role: str, territory: str | None = None) -> list[str]:
        """Active reps with `role` (in `territory` when given), in hiring order."""
        return [r.rep_id for r in self.reps.values() if r.role == role and r.active
                and (territory is None or r.territory == territory)]

    def any_of(self, rng: random.Random, role: str, territory: str | None = None) -> str | None:
        """A random active rep with `role`, from the territory if it has one."""
        local = self.role(role, territory) if territory else []
        pool = local or self.role(role)
        return rng.choice(pool) if pool else None

    def manager_of(self, rep_id: str | None) -> str | None:
        """The rep's manager, if known."""
        rep = self.reps.get(rep_id or "")
        return rep.manager if rep else None

    def add_customer(self, account_id: str) -> None:
        """The account buys from us now: it may open cases, sign contracts, join campaigns."""
        account = self.accounts.get(account_id)
        if account is None or account.customer and account_id in self.customers:
            return
        account.customer = True
        self.customers.append(account_id)
        self.customer_weight.append({"strategic": 5.0, "key": 2.5}.get(account.tier, 1.0))

    def drop_customer(self, account_id: str) -> None:
        """The customer churned: no more cases or campaigns for it."""
        if account_id in self.customers:
            n = self.customers.index(account_id)
            del self.customers[n], self.customer_weight[n]
            self.accounts[account_id].customer = False
        if account_id in self.accounts:
            self.accounts[account_id].churned = True

    def mailable(self) -> list[str]:
        """Contacts of customers that have not opted out, in creation order."""
        return [c.contact_id for c in self.contacts.values()
                if not c.opted_out and self.accounts[c.account_id].customer]


def normalise(name: str) -> str:
    """Company names compare case- and space-insensitively (like the core)."""
    return " ".join(name.split()).casefold()
