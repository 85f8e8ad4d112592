"""accounts rows (all but the health columns) and account_team_members rows.

health_score and churn_risk are written by the health rules' own account events
(projectors/health.py).
"""

from __future__ import annotations

from decimal import Decimal

from domain.accounts.messages import (
    AccountCreated,
    AccountLinkedToCustomer,
    AccountParentSet,
    AccountRelationshipChanged,
    AccountRevenueRecorded,
    AccountRevenueYearClosed,
    AccountTeamMemberAdded,
    AccountTeamMemberRemoved,
    AccountUpdated,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _account(e: Event, **values: object) -> Upsert:
    return upsert("accounts", e, {"account_id": e.aggregate_id}, **values,
                  updated_at=e.occurred_at)


@projects(AccountCreated)
def created(e: AccountCreated) -> list[Upsert]:
    """A new account row: no revenue in this CRM yet (a migrated lifetime value kept)."""
    values = {**e.payload(), "lifetime_value": e.lifetime_value or Decimal(0)}
    return [_account(e, **values, ytd_revenue=Decimal(0), last_year_revenue=Decimal(0),
                     is_active=True, created_at=e.occurred_at)]


@projects(AccountUpdated)
def updated(e: AccountUpdated) -> list[Upsert]:
    """Only the fields the update carried (None = unchanged)."""
    return [_account(e, **{k: v for k, v in e.payload().items() if v is not None})]


@projects(AccountParentSet)
def parent_set(e: AccountParentSet) -> list[Upsert]:
    """New parent (or none)."""
    return [_account(e, parent_account_id=e.parent_account_id)]


@projects(AccountRelationshipChanged)
def relationship_changed(e: AccountRelationshipChanged) -> list[Upsert]:
    """Relationship status and the account type it implies."""
    return [_account(e, relationship_status=e.relationship_status, account_type=e.account_type)]


@projects(AccountLinkedToCustomer)
def linked(e: AccountLinkedToCustomer) -> list[Upsert]:
    """Master-data customer id (and customer_since when the link set it)."""
    since = {"customer_since": e.customer_since} if e.customer_since is not None else {}
    return [_account(e, customer_id=e.customer_id, **since)]


@projects(AccountRevenueRecorded)
def revenue(e: AccountRevenueRecorded) -> list[Upsert]:
    """Absolute revenue figures; the account is an active customer."""
    return [_account(e, lifetime_value=e.lifetime_value, ytd_revenue=e.ytd_revenue,
                     last_year_revenue=e.last_year_revenue,
                     last_purchase_date=e.last_purchase_date, customer_since=e.customer_since,
                     relationship_status=e.relationship_status, account_type=e.account_type)]


@projects(AccountRevenueYearClosed)
def year_closed(e: AccountRevenueYearClosed) -> list[Upsert]:
    """New year: ytd restarts."""
    return [_account(e, ytd_revenue=e.ytd_revenue, last_year_revenue=e.last_year_revenue)]


@projects(AccountTeamMemberAdded)
def team_member_added(e: AccountTeamMemberAdded) -> list[Upsert]:
    """A new, active team member row."""
    return [upsert("account_team_members", e, {"team_member_id": e.team_member_id},
                   account_id=e.aggregate_id, sales_rep_id=e.sales_rep_id,
                   team_role=e.team_role, access_level=e.access_level,
                   start_date=e.start_date, is_active=True, created_at=e.occurred_at,
                   updated_at=e.occurred_at)]


@projects(AccountTeamMemberRemoved)
def team_member_removed(e: AccountTeamMemberRemoved) -> list[Upsert]:
    """The member row ends."""
    return [upsert("account_team_members", e, {"team_member_id": e.team_member_id},
                   end_date=e.end_date, is_active=False, updated_at=e.occurred_at)]
