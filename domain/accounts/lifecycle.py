"""Accounts: creation, profile updates, hierarchy, relationship, revenue, master-data link.

Messages are in `domain.accounts.messages`; account teams in `domain.accounts.teams`.
Health score and churn risk belong to the health rules (`domain.accounts.health`), which write those
columns with their own account events."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain.accounts.entities import Account, get_account
from domain.accounts.messages import (
    AccountCreated,
    AccountLinkedToCustomer,
    AccountParentSet,
    AccountRelationshipChanged,
    AccountTeamMemberRemoved,
    AccountUpdated,
    ChangeAccountRelationship,
    LinkAccountToCustomer,
    OpenAccount,
    SetParentAccount,
    UpdateAccount,
)
from domain.contracts.lifecycle import terminate_for_churn
from domain.kernel.context import Context, Rejected, require
from domain.kernel.rulebook import handles
from domain.opportunities.stages import close_for_churn


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


@handles(OpenAccount)
def open_account_command(ctx: Context, cmd: OpenAccount) -> None:
    """Create an account from a command."""
    _create(ctx, cmd.aggregate_id, cmd.payload())


@handles(UpdateAccount)
def update_account(ctx: Context, cmd: UpdateAccount) -> None:
    """Apply the given profile changes; a command that changes nothing emits nothing."""
    require(ctx, "account", cmd.aggregate_id)
    changes = {k: v for k, v in cmd.payload().items() if v is not None}
    if changes:
        ctx.emit(AccountUpdated, cmd.aggregate_id, **changes)


@handles(SetParentAccount)
def set_parent_account(ctx: Context, cmd: SetParentAccount) -> None:
    """Set the parent; an unknown parent, the account itself or a cycle is refused."""
    account = require(ctx, "account", cmd.aggregate_id)
    parent_id = cmd.parent_account_id
    if parent_id is not None:
        if parent_id == account.account_id:
            raise Rejected(f"account {parent_id} cannot be its own parent")
        ancestor: Account | None = require(ctx, "account", parent_id)
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
    account = require(ctx, "account", cmd.aggregate_id)
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
    close_for_churn(ctx, account.account_id, reason)
    terminate_for_churn(ctx, account.account_id, reason)
    for member in account.team:
        ctx.emit(AccountTeamMemberRemoved, account.account_id,
                 team_member_id=member.team_member_id, end_date=ctx.now.date())


@handles(LinkAccountToCustomer)
def link_to_customer(ctx: Context, cmd: LinkAccountToCustomer) -> None:
    """Link to a master-data customer; relinking to a different customer is refused."""
    account = require(ctx, "account", cmd.aggregate_id)
    if account.customer_id == cmd.customer_id:
        return
    if account.customer_id is not None:
        raise Rejected(f"account {account.account_id} is already linked to customer "
                       f"{account.customer_id}")
    # The master-data customer is created for an account about to order: if nothing made
    # it a customer before, it is one from this day (the first order keeps the earlier day).
    ctx.emit(AccountLinkedToCustomer, cmd.aggregate_id, customer_id=cmd.customer_id,
             customer_since=ctx.now.date() if account.customer_since is None else None)
