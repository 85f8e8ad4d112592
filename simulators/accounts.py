"""Accounts and contacts: what the business learns about them from the core's events, and
its reactions: a new prospect account gets its profile completed and joins its business
group, a first order makes it a customer (account manager, service engineer, credit
limit), master data creates the ERP customer, tasks get done. The daily account-management
work is in `simulators.upkeep`, churn in `simulators.churn`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.accounts.messages import (
    AddAccountTeamMember,
    LinkAccountToCustomer,
    SetParentAccount,
    UpdateAccount,
)
from domain.activities.messages import CompleteTask
from simulators.book import AccountFile, ContactFile, normalise
from simulators.churn import AccountChurn, Signals
from simulators.installed import account_profile, open_installed_base
from simulators.kernel import MASTER_DATA, SALES_OPS, Desk
from simulators.tiers import AccountTiers, onboarding_tier
from simulators.upkeep import AccountUpkeep
from simulators.worktime import local_day
from simulators.world import pick


class AccountDesk(AccountUpkeep, AccountChurn, AccountTiers, Desk):
    """Keeps the book of accounts and contacts and does the account managers' work."""

    NAME = "accounts"
    HANDLES = {"AccountCreated": "on_account", "AccountParentSet": "on_parent",
               "AccountLinkedToCustomer": "on_linked", "AccountRevenueRecorded": "on_revenue",
               "AccountTeamMemberAdded": "on_team_added",
               "AccountTeamMemberRemoved": "on_team_removed", "ContactCreated": "on_contact",
               "ContactOptedOut": "on_opted_out", "TaskCreated": "on_task",
               **AccountChurn.CHURN_HANDLES}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.desks: dict[str, Any] = {}  # the simulation's desks (BusinessSimulation)
        self.signals: dict[str, Signals] = {}  # account -> what churn reviews look at
        self.last_order: dict[str, date] = {}  # account -> last order (before the CRM too)
        self.case_account: dict[str, str] = {}  # open case -> account
        self.breached_cases: dict[str, None] = {}
        self.contract_account: dict[str, str] = {}
        self.live_contracts: dict[str, list[str]] = {}  # account -> contracts in force
        # tiers (simulators.tiers): anniversaries, revenue, the reviews waiting for a day
        self.since: dict[str, date] = {}
        self.trade: dict[str, list[tuple[date, Decimal]]] = {}
        self.run_rate: dict[str, Decimal] = {}
        self.go_live = date.min
        self.reviews_due: list[str] = []
        self.tiered: dict[str, None] = {}

    def setup(self) -> None:
        """The installed base (existing customers)."""
        self.go_live = local_day(self.k.now)
        open_installed_base(self)

    def plan_day(self, day_start: datetime) -> None:
        """The account managers' day (`AccountUpkeep`) and the yearly reviews due."""
        super().plan_day(day_start)
        self.plan_tier_reviews(local_day(day_start))

    # ------------------------------------------------------------------ learning
    def on_account(self, e: Any) -> None:
        """Learn an account; a new prospect account gets its profile filled in soon."""
        company = self.world.company(e.account_name)
        account = AccountFile(e.aggregate_id, e.account_name, e.industry, e.company_size,
                              e.billing_state, e.account_owner, e.account_tier or "standard",
                              customer_id=e.customer_id, manager=e.account_manager,
                              group=company.group if company else -1)
        self.book.accounts[e.aggregate_id] = account
        self.book.by_name.setdefault(normalise(e.account_name), e.aggregate_id)
        if e.account_tier is not None:
            self.tiered[e.aggregate_id] = None
        if e.account_type == "customer" and company is not None:  # not a group holding
            self.book.add_customer(e.aggregate_id)
            if e.customer_since is not None:  # its yearly rate before the CRM (for reviews)
                self.since[e.aggregate_id] = e.customer_since
                years = max(1, (local_day(self.k.now) - e.customer_since).days) / 365
                self.run_rate[e.aggregate_id] = (e.lifetime_value or Decimal(0)) / Decimal(
                    str(round(years, 3)))
        elif e.created_by != "data-migration":
            self.later(self.k.hours(20, 100), "enrich", e.aggregate_id)

    def on_parent(self, e: Any) -> None:
        """Learn a hierarchy link."""
        self.book.accounts[e.aggregate_id].parent = e.parent_account_id

    def on_linked(self, e: Any) -> None:
        """Learn the master-data customer id."""
        self.book.accounts[e.aggregate_id].customer_id = e.customer_id

    def on_revenue(self, e: Any) -> None:
        """An order: remember when; a first order makes a prospect a customer (onboard)."""
        self.last_order[e.aggregate_id] = e.last_purchase_date
        self.trade.setdefault(e.aggregate_id, []).append((local_day(self.k.now), e.amount))
        account = self.book.accounts.get(e.aggregate_id)
        if account is not None and not account.customer:
            self.book.add_customer(e.aggregate_id)
            self.since.setdefault(e.aggregate_id, e.customer_since)
            self.later(self.k.hours(24, 72), "onboard", e.aggregate_id)

    def on_team_added(self, e: Any) -> None:
        """Learn a team member."""
        team = self.book.accounts[e.aggregate_id].team
        team[f"{e.sales_rep_id}/{e.team_role}"] = e.team_member_id

    def on_team_removed(self, e: Any) -> None:
        """Forget a team member."""
        team = self.book.accounts[e.aggregate_id].team
        for key, member in list(team.items()):
            if member == e.team_member_id:
                del team[key]

    def on_contact(self, e: Any) -> None:
        """Learn a contact."""
        self.book.contacts[e.aggregate_id] = ContactFile(e.aggregate_id, e.account_id,
                                                         (e.first_name, e.last_name), e.email)
        self.book.accounts[e.account_id].contacts.append(e.aggregate_id)

    def on_opted_out(self, e: Any) -> None:
        """The contact must not be e-mailed any more."""
        self.book.contacts[e.aggregate_id].opted_out = True

    def on_task(self, e: Any) -> None:
        """Most tasks get done, usually before they are due."""
        if e.assigned_to and self.k.chance(0.85):
            due = datetime.combine(e.due_date, datetime.min.time(), self.k.now.tzinfo)
            span = max(2.0, (due - self.k.now).total_seconds() / 3600)
            self.later(self.k.hours(1, span), "finish_task", e.aggregate_id, e.assigned_to)

    # ------------------------------------------------------------------ reactions
    def enrich(self, account_id: str) -> None:
        """The owner completes a new account's profile and links it to its group."""
        account = self.book.accounts[account_id]
        company = self.world.company(account.name)
        owner = account.owner or SALES_OPS
        if company is not None:
            profile = account_profile(self, company)
            for key in ("account_owner", "account_manager", "credit_limit"):
                profile.pop(key)
            self.k.send(UpdateAccount, account_id, actor=owner, **profile)
        parent = self.book.group_parent.get(account.group)
        if parent and account.parent is None and parent != account_id:
            self.k.send(SetParentAccount, account_id, actor=owner, parent_account_id=parent)

    def onboard(self, account_id: str) -> None:
        """A new customer gets an account manager, a service engineer, a credit limit and
        its tier (from its size and first order: `simulators.tiers`)."""
        account, rng = self.book.accounts[account_id], self.k.rng
        am = [r for r in self.book.role("AM") if self.book.reps[r].manager
              == self.book.manager_of(account.owner)] or self.book.role("AM")
        manager = rng.choice(am) if am else None
        se = self.book.any_of(rng, "SE")
        orders = self.trade.get(account_id)
        tier = onboarding_tier(account.size, orders[0][1] if orders else Decimal(0))
        sponsor = self.book.any_of(rng, "Director") if tier == "strategic" else None
        # the owner's sales manager staffs the new customer's team
        boss = self.book.manager_of(account.owner) or account.owner or SALES_OPS
        for rep, role in ((account.owner, "account_owner"), (manager, "account_manager"),
                          (se, "sales_engineer"), (sponsor, "executive_sponsor")):
            if rep and f"{rep}/{role}" not in account.team:
                self.k.send(AddAccountTeamMember, account_id, actor=boss, sales_rep_id=rep,
                            team_role=role)
        account.manager = manager or account.manager
        self.note_tier(account_id, tier)
        self.k.send(UpdateAccount, account_id, actor=boss, account_manager=manager,
                    account_tier=tier,
                    credit_limit=Decimal(rng.randrange(10, 300) * 100_000),
                    payment_terms=pick(rng, (("NET30", 70), ("NET60", 25), ("COD", 5))))

    def link_customer(self, account_id: str) -> None:
        """Master data creates the ERP customer for an account about to order."""
        account = self.book.accounts.get(account_id)
        if account is not None and account.customer_id is None:
            account.customer_id = self.k.new_id("CUST")
            self.k.send(LinkAccountToCustomer, account_id, actor=MASTER_DATA,
                        customer_id=account.customer_id)

    def finish_task(self, task_id: str, assignee: str | None = None) -> None:
        """The assignee marks a task done."""
        self.k.send(CompleteTask, task_id, actor=assignee or SALES_OPS,
                    completion_notes=self.k.rng.choice((
            "Done.", "Spoke to the customer; next steps agreed.", "Completed as planned.",
            None)))
