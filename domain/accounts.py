"""Accounts: creation, profile updates, hierarchy, relationship, revenue, master-data link.

Messages are in `domain.account_messages`; account teams in `domain.account_teams`.
Health score and churn risk belong to the health rules (area C), which write those
columns with their own account events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from domain.account_messages import (  # noqa: F401  (re-exported: other areas import them here)
    AccountCreated,
    AccountLinkedToCustomer,
    AccountParentSet,
    AccountProfile,
    AccountRelationshipChanged,
    AccountRevenueRecorded,
    AccountRevenueYearClosed,
    AccountTier,
    AccountType,
    AccountUpdated,
    ChangeAccountRelationship,
    CompanySize,
    ContactMethod,
    Frequency,
    LinkAccountToCustomer,
    NewAccountFields,
    OpenAccount,
    PaymentTerms,
    Relationship,
    SetParentAccount,
    UpdateAccount,
)
from domain.contracts import terminate_for_churn
from domain.core import Context, Rejected, evolves, handles, indexes, on_timer
from domain.fiscal_calendar import fiscal_year, next_fiscal_year_start
from domain.messages import money
from domain.opportunity_stages import close_for_churn
from domain.records import updated
from domain.state import CrmState

_BY_NAME = "accounts_by_name"  # normalised name -> account ids in creation order
_NAME_OF = "account_name_of"  # account id -> normalised name (to move renamed accounts)
_YTD_TIMER = "account_ytd_rollover"


@dataclass(frozen=True)
class Account:
    """What the account rules need."""

    account_id: str
    account_number: str
    account_name: str
    account_type: str
    relationship_status: str
    account_owner: str | None = None
    parent_account_id: str | None = None
    customer_id: str | None = None
    lifetime_value: Decimal = Decimal(0)
    ytd_revenue: Decimal = Decimal(0)
    last_year_revenue: Decimal = Decimal(0)
    revenue_year: int = 0
    customer_since: date | None = None
    last_purchase_date: date | None = None
    team: tuple[Any, ...] = ()  # domain.account_teams.TeamMember


def normalise_name(name: str) -> str:
    """Company names compare case- and space-insensitively."""
    return " ".join(name.split()).casefold()


def find_account_by_name(state: CrmState, company_name: str) -> str | None:
    """The earliest-created account with this name (case/space-insensitive), or None."""
    ids = state.view(_BY_NAME).get(normalise_name(company_name))
    return ids[0] if ids else None


def get_account(state: CrmState, account_id: str | None) -> Account | None:
    """The account, or None."""
    return state.get("account", account_id) if account_id else None


def open_account(ctx: Context, account_id: str, *, account_name: str,
                 account_type: str = "prospect", industry: str | None = None,
                 company_size: str | None = None, account_owner: str | None = None,
                 billing_city: str | None = None, billing_state: str | None = None,
                 billing_country: str = "India", created_by: str | None = None) -> None:
    """Create an account (emits AccountCreated); an id in use or a bad value is refused."""
    _create(ctx, account_id, dict(
        account_name=account_name, account_type=account_type, industry=industry,
        company_size=company_size, account_owner=account_owner, billing_city=billing_city,
        billing_state=billing_state, billing_country=billing_country, created_by=created_by))


def _create(ctx: Context, account_id: str, fields: dict[str, Any]) -> None:
    if ctx.get("account", account_id) is not None:
        raise Rejected(f"account {account_id} already exists")
    status = "active" if fields.get("account_type") == "customer" else "prospect"
    if status == "active" and fields.get("customer_since") is None:
        fields = {**fields, "customer_since": ctx.now.date()}  # a customer from today
    try:
        ctx.emit(AccountCreated, account_id, account_number=ctx.next_number("ACC"),
                 relationship_status=status, **fields)
    except ValidationError as bad:
        raise Rejected(f"account {account_id}: {bad.errors()[0]['msg']}") from None


def record_account_revenue(ctx: Context, account_id: str, amount: Decimal, on: date) -> None:
    """Add revenue: lifetime value accumulates, ytd restarts per fiscal year of event time.

    The account becomes an active customer; customer_since is the first purchase date.
    """
    account = get_account(ctx.state, account_id)
    if account is None:
        raise Rejected(f"account {account_id} does not exist")
    if amount <= 0:
        raise Rejected(f"revenue for account {account_id} must be positive, got {amount}")
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)  # FiscalRules: April-March
    ytd, last_year = _rolled(account, year)
    if account.revenue_year != year:
        ctx.schedule(next_fiscal_year_start(ctx.now, ctx.rules.fiscal), _YTD_TIMER, account_id)
    amount = money(amount)
    ctx.emit(AccountRevenueRecorded, account_id, amount=amount,
             lifetime_value=account.lifetime_value + amount, ytd_revenue=ytd + amount,
             last_year_revenue=last_year, revenue_year=year,
             last_purchase_date=max(on, account.last_purchase_date or on),
             customer_since=min(on, account.customer_since or on))


def _rolled(account: Account, year: int) -> tuple[Decimal, Decimal]:
    """(ytd, last fiscal year's revenue) as seen from fiscal `year`."""
    if account.revenue_year == year:
        return account.ytd_revenue, account.last_year_revenue
    last = account.ytd_revenue if account.revenue_year == year - 1 else Decimal(0)
    return Decimal(0), last


@on_timer(_YTD_TIMER)
def _year_closed(ctx: Context, account_id: str) -> None:
    """When a fiscal year begins ytd_revenue restarts (a stale timer finds nothing to do)."""
    account = get_account(ctx.state, account_id)
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)
    if account is not None and account.revenue_year < year:
        ytd, last = _rolled(account, year)
        ctx.emit(AccountRevenueYearClosed, account_id, ytd_revenue=ytd,
                 last_year_revenue=last, revenue_year=year)


@handles(OpenAccount)
def open_account_command(ctx: Context, cmd: OpenAccount) -> None:
    """Create an account from a command."""
    _create(ctx, cmd.aggregate_id, cmd.payload())


def require_account(ctx: Context, account_id: str) -> Account:
    """The account or a rejection naming it."""
    account = get_account(ctx.state, account_id)
    if account is None:
        raise Rejected(f"account {account_id} does not exist")
    return account


@handles(UpdateAccount)
def update_account(ctx: Context, cmd: UpdateAccount) -> None:
    """Apply the given profile changes; a command that changes nothing emits nothing."""
    require_account(ctx, cmd.aggregate_id)
    changes = {k: v for k, v in cmd.payload().items() if v is not None}
    if changes:
        ctx.emit(AccountUpdated, cmd.aggregate_id, **changes)


@handles(SetParentAccount)
def set_parent_account(ctx: Context, cmd: SetParentAccount) -> None:
    """Set the parent; an unknown parent, the account itself or a cycle is refused."""
    account = require_account(ctx, cmd.aggregate_id)
    parent_id = cmd.parent_account_id
    if parent_id is not None:
        if parent_id == account.account_id:
            raise Rejected(f"account {parent_id} cannot be its own parent")
        ancestor: Account | None = require_account(ctx, parent_id)
        while ancestor is not None:
            if ancestor.account_id == account.account_id:
                raise Rejected(f"account {parent_id} is a subsidiary of {account.account_id}: "
                               "the hierarchy would have a cycle")
            ancestor = get_account(ctx.state, ancestor.parent_account_id)
    if parent_id != account.parent_account_id:
        ctx.emit(AccountParentSet, cmd.aggregate_id, parent_account_id=parent_id)


@handles(ChangeAccountRelationship)
def change_relationship(ctx: Context, cmd: ChangeAccountRelationship) -> None:
    """Change the relationship status; churned customers become former customers."""
    # No "unchanged" shortcut: the health rules may have moved the status (at_risk) with
    # their own events, so the stated status is always recorded.
    account = require_account(ctx, cmd.aggregate_id)
    churned = cmd.relationship_status == "churned" and account.account_type == "customer"
    ctx.emit(AccountRelationshipChanged, cmd.aggregate_id,
             relationship_status=cmd.relationship_status, reason=cmd.reason,
             account_type="former_customer" if churned else account.account_type)
    if cmd.relationship_status == "churned" and account.relationship_status != "churned":
        _churn(ctx, account, cmd.reason)


def _churn(ctx: Context, account: Account, reason: str | None) -> None:
    """A lost customer: its open deals close lost, its contracts end today and its
    account team stands down.

    Contracts are terminated at churn (penalty per their terms) rather than left to run
    to term: the customer has gone, and an analyst must not see a churned account with
    contracts in force, or with a renewal still in the pipeline that could sign a new
    one. The team rows stay, inactive, ended on the day of churn.
    """
    from domain.account_teams import AccountTeamMemberRemoved  # imports this module

    close_for_churn(ctx, account.account_id, reason)
    terminate_for_churn(ctx, account.account_id, reason)
    for member in account.team:
        ctx.emit(AccountTeamMemberRemoved, account.account_id,
                 team_member_id=member.team_member_id, end_date=ctx.now.date())


@handles(LinkAccountToCustomer)
def link_to_customer(ctx: Context, cmd: LinkAccountToCustomer) -> None:
    """Link to a master-data customer; relinking to a different customer is refused."""
    account = require_account(ctx, cmd.aggregate_id)
    if account.customer_id == cmd.customer_id:
        return
    if account.customer_id is not None:
        raise Rejected(f"account {account.account_id} is already linked to customer "
                       f"{account.customer_id}")
    # The master-data customer is created for an account about to order: if nothing made
    # it a customer before, it is one from this day (the first order keeps the earlier day).
    ctx.emit(AccountLinkedToCustomer, cmd.aggregate_id, customer_id=cmd.customer_id,
             customer_since=ctx.now.date() if account.customer_since is None else None)


@evolves(AccountCreated)
def _created(_: None, e: AccountCreated) -> Account:
    return Account(e.aggregate_id, e.account_number, e.account_name, e.account_type,
                   e.relationship_status, e.account_owner, None, e.customer_id,
                   lifetime_value=e.lifetime_value or Decimal(0),
                   customer_since=e.customer_since)


@evolves(AccountUpdated)
def _updated(a: Account, e: AccountUpdated) -> Account:
    return updated(a, account_name=e.account_name or a.account_name,
                   account_type=e.account_type or a.account_type,
                   account_owner=e.account_owner or a.account_owner)


@evolves(AccountParentSet)
def _parent_set(a: Account, e: AccountParentSet) -> Account:
    return updated(a, parent_account_id=e.parent_account_id)


@evolves(AccountRelationshipChanged)
def _relationship(a: Account, e: AccountRelationshipChanged) -> Account:
    return updated(a, relationship_status=e.relationship_status, account_type=e.account_type)


@evolves(AccountLinkedToCustomer)
def _linked(a: Account, e: AccountLinkedToCustomer) -> Account:
    return updated(a, customer_id=e.customer_id,
                   customer_since=e.customer_since or a.customer_since)


@evolves(AccountRevenueRecorded)
def _revenue(a: Account, e: AccountRevenueRecorded) -> Account:
    return updated(a, lifetime_value=e.lifetime_value, ytd_revenue=e.ytd_revenue,
                   last_year_revenue=e.last_year_revenue, revenue_year=e.revenue_year,
                   customer_since=e.customer_since, last_purchase_date=e.last_purchase_date,
                   relationship_status=e.relationship_status, account_type=e.account_type)


@evolves(AccountRevenueYearClosed)
def _year_rolled(a: Account, e: AccountRevenueYearClosed) -> Account:
    return updated(a, ytd_revenue=e.ytd_revenue, last_year_revenue=e.last_year_revenue,
                   revenue_year=e.revenue_year)


@indexes(AccountCreated, AccountUpdated)
def _index_name(state: CrmState, e: AccountCreated | AccountUpdated) -> None:
    """Keep the name index current (a renamed account moves to its new name)."""
    if e.account_name is None:
        return
    by_name, name_of = state.view(_BY_NAME), state.view(_NAME_OF)
    old = name_of.get(e.aggregate_id)
    if old is not None and e.aggregate_id in by_name.get(old, []):
        by_name[old] = [i for i in by_name[old] if i != e.aggregate_id]
    new = normalise_name(e.account_name)
    name_of[e.aggregate_id] = new
    ids = {*by_name.get(new, []), e.aggregate_id}
    # Earliest account number first, so a match is the same however names were edited.
    by_name[new] = sorted(ids, key=lambda i: state.get("account", i).account_number)
