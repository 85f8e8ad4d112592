"""The account as the rules see it: lookups by id and by company name, and how its
events evolve it (the name index included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.accounts.messages import (
    AccountCreated,
    AccountLinkedToCustomer,
    AccountParentSet,
    AccountRelationshipChanged,
    AccountRevenueRecorded,
    AccountRevenueYearClosed,
    AccountUpdated,
)
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, indexes
from domain.kernel.state import CrmState

_BY_NAME = "accounts_by_name"  # normalised name -> account ids in creation order
_NAME_OF = "account_name_of"  # account id -> normalised name (to move renamed accounts)


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
    team: tuple[Any, ...] = ()  # domain.accounts.teams.TeamMember


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
